#!/usr/bin/env python3
"""Independent verifier for the lotledger entry format, version 1.

Written by an engineer who read docs/FORMAT.md and nothing else of the
project (no Rust source). tests/independent_verifier.rs runs it against
ledgers the library writes, so the document and the code cannot drift apart.

Written from FORMAT.md alone (see NOTES.md for the places where the document
had to be interpreted).

Usage:
    python3 verify.py LEDGER_FILE LEDGER_ID_HEX [--head SEQ:HASHHEX] [--records]

Exit status: 0 ok, 1 verification failure, 2 usage / I/O error.
"""

import hashlib
import os
import sys
import unicodedata

# --------------------------------------------------------------------------
# CRC-32C (Castagnoli), reflected, table driven
# --------------------------------------------------------------------------

_CRC32C_POLY_REFLECTED = 0x82F63B78


def _make_crc_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            if c & 1:
                c = (c >> 1) ^ _CRC32C_POLY_REFLECTED
            else:
                c >>= 1
        table.append(c)
    return tuple(table)


_CRC_TABLE = _make_crc_table()


def crc32c(data, crc=0):
    """CRC-32C of data. init 0xFFFFFFFF, final xor 0xFFFFFFFF."""
    c = crc ^ 0xFFFFFFFF
    t = _CRC_TABLE
    for b in data:
        c = t[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


assert crc32c(b"123456789") == 0xE3069283

# --------------------------------------------------------------------------
# Constants (section 4). The hex given in the document is authoritative:
# the entry tag is 18 characters padded with NULs to one 64-byte block; the
# genesis tag is 20 characters plus one NUL = 21 bytes.
# --------------------------------------------------------------------------

ENTRY_DOMAIN = b"lotledger.entry.v1".ljust(64, b"\x00")
GENESIS_DOMAIN = b"lotledger.genesis.v1\x00"
assert ENTRY_DOMAIN.hex() == "6c6f746c65646765722e656e7472792e7631" + "00" * 46
assert GENESIS_DOMAIN.hex() == "6c6f746c65646765722e67656e657369732e763100"

MAX_LEN = 4096
VERSION = 1
U64_MAX = (1 << 64) - 1
U32_MAX = (1 << 32) - 1


def genesis(ledger_id):
    return hashlib.sha256(GENESIS_DOMAIN + ledger_id).digest()


def entry_hash(prev_hash, body):
    return hashlib.sha256(ENTRY_DOMAIN + prev_hash + body).digest()


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------


class Undecodable(Exception):
    pass


class Fail(Exception):
    def __init__(self, kind, seq, offset, detail):
        super().__init__(kind)
        self.kind = kind
        self.seq = seq
        self.offset = offset
        self.detail = detail

    def line(self):
        s = "fail seq=%d offset=%d kind=%s" % (self.seq, self.offset, self.kind)
        if self.detail:
            s += " " + self.detail
        return s


# --------------------------------------------------------------------------
# Body reader (section 3)
# --------------------------------------------------------------------------


class Reader:
    def __init__(self, data, pos=0):
        self.data = data
        self.pos = pos

    def remaining(self):
        return len(self.data) - self.pos

    def take(self, n, what):
        if n < 0 or self.pos + n > len(self.data):
            raise Undecodable("body ends early in %s (need %d bytes at body offset %d, have %d)"
                              % (what, n, self.pos, len(self.data) - self.pos))
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def u8(self, what="u8"):
        return self.take(1, what)[0]

    def varint(self, bits, what):
        """Unsigned LEB128 of a `bits`-wide integer (32 or 64).

        Non-shortest forms are accepted inside the body (section 3 allows
        it); the number of bytes and the value range are enforced.
        """
        max_bytes = 5 if bits == 32 else 10
        value = 0
        shift = 0
        start = self.pos
        for i in range(max_bytes):
            if self.pos >= len(self.data):
                raise Undecodable("body ends early inside varint %s at body offset %d" % (what, start))
            b = self.data[self.pos]
            self.pos += 1
            value |= (b & 0x7F) << shift
            shift += 7
            if not (b & 0x80):
                if value >> bits:
                    raise Undecodable("bad varint %s at body offset %d: value exceeds u%d" % (what, start, bits))
                return value
        raise Undecodable("bad varint %s at body offset %d: longer than %d bytes" % (what, start, max_bytes))

    def u32(self, what="u32"):
        return self.varint(32, what)

    def u64(self, what="u64"):
        return self.varint(64, what)

    def i32(self, what="i32"):
        u = self.varint(32, what)
        return (u >> 1) ^ -(u & 1)

    def i64(self, what="i64"):
        u = self.varint(64, what)
        return (u >> 1) ^ -(u & 1)

    def boolean(self, what="bool"):
        b = self.u8(what)
        if b == 0:
            return False
        if b == 1:
            return True
        raise Undecodable("bad bool %s: 0x%02x" % (what, b))

    def digest(self, what="digest"):
        return self.take(32, what)

    def _utf8(self, maxlen, minlen, what):
        start = self.pos
        n = self.u64(what + " length")
        if n < minlen or n > maxlen:
            raise Undecodable("%s length %d at body offset %d not in %d..=%d" % (what, n, start, minlen, maxlen))
        raw = self.take(n, what)
        try:
            return raw.decode("utf-8", errors="strict")
        except UnicodeDecodeError:
            raise Undecodable("bad UTF-8 in %s at body offset %d" % (what, start))

    def text(self, maxlen, what="text"):
        return self._utf8(maxlen, 0, what)

    def code(self, maxlen, what="code"):
        s = self._utf8(maxlen, 1, what)
        for ch in s:
            if unicodedata.category(ch) == "Cc":
                raise Undecodable("code rule broken in %s: control character U+%04X" % (what, ord(ch)))
        if s[0] == " " or s[-1] == " ":
            raise Undecodable("code rule broken in %s: leading or trailing space in %r" % (what, s))
        return s

    def option(self, f, what="option"):
        tag = self.u8(what + " tag")
        if tag == 0:
            return None
        if tag == 1:
            return f()
        raise Undecodable("bad option tag %s: 0x%02x" % (what, tag))

    def list(self, f, maxcount, what="list"):
        start = self.pos
        c = self.u64(what + " count")
        if c > maxcount:
            raise Undecodable("%s count %d at body offset %d exceeds %d" % (what, c, start, maxcount))
        return [f() for _ in range(c)]

    def variant(self, nvariants, what="enum"):
        start = self.pos
        v = self.u32(what + " variant")
        if v >= nvariants:
            raise Undecodable("unknown variant %d of %s at body offset %d" % (v, what, start))
        return v


# --------------------------------------------------------------------------
# Records (section 5)
# --------------------------------------------------------------------------


def gs1_ok(number, digits):
    s = str(number).rjust(digits, "0")
    if len(s) != digits:
        return False
    body, check = s[:-1], int(s[-1])
    total = 0
    for i, ch in enumerate(reversed(body)):
        total += int(ch) * (3 if i % 2 == 0 else 1)
    return (total + check) % 10 == 0


def r_gs1(r, digits, what):
    start = r.pos
    v = r.u64(what)
    if v >= 10 ** digits:
        raise Undecodable("%s %d at body offset %d has more than %d digits" % (what, v, start, digits))
    if not gs1_ok(v, digits):
        raise Undecodable("%s %s at body offset %d has a wrong GS1 check digit"
                          % (what, str(v).rjust(digits, "0"), start))
    return v


def r_gtin(r):
    return ("gtin", r_gs1(r, 14, "gtin"))


def r_gln(r):
    return ("gln", r_gs1(r, 13, "gln"))


def r_sscc(r):
    return ("sscc", r_gs1(r, 18, "sscc"))


def r_item(r):
    v = r.variant(2, "item")
    return r_gtin(r) if v == 0 else ("internal", r.code(20, "item.internal"))


def r_party(r):
    v = r.variant(2, "party")
    return r_gln(r) if v == 0 else ("internal", r.code(20, "party.internal"))


def r_location(r):
    v = r.variant(2, "location")
    return r_gln(r) if v == 0 else ("internal", r.code(24, "location.internal"))


def r_container(r):
    v = r.variant(2, "container")
    return r_sscc(r) if v == 0 else ("internal", r.code(24, "container.internal"))


def r_lot(r):
    return {"item": r_item(r), "lot": r.code(20, "lot.lot")}


def r_reference(r, what="reference"):
    return r.code(24, what)


UNIT_CODES = ["H87", "C62", "KGM", "GRM", "MGM", "TNE", "LTR", "MLT", "MTR", "MTK"]
_UNIT_OTHER_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


def r_unit(r):
    v = r.variant(11, "unit")
    if v < 10:
        return UNIT_CODES[v]
    s = r.code(3, "unit.other")
    if not (2 <= len(s) <= 3) or any(ch not in _UNIT_OTHER_CHARS for ch in s):
        raise Undecodable("unit.other %r is not 2 or 3 of A-Z 0-9" % s)
    if s in UNIT_CODES:
        raise Undecodable("unit.other %r duplicates a named unit" % s)
    return ("other", s)


def r_quantity(r):
    amount = r.u64("quantity.amount")
    start = r.pos
    scale = r.u8("quantity.scale")
    if scale > 9:
        raise Undecodable("quantity.scale %d at body offset %d exceeds 9" % (scale, start))
    return {"amount": amount, "scale": scale, "unit": r_unit(r)}


def r_lot_quantity(r):
    return {"lot": r_lot(r), "quantity": r_quantity(r)}


def r_entry_ref(r):
    return {"seq": r.u64("entry_ref.seq"), "hash": r.digest("entry_ref.hash")}


def r_enum(r, n, what):
    return r.variant(n, what)


def k0(r):
    return {"lot": r_lot(r), "quantity": r_quantity(r), "supplier": r_party(r),
            "supplier_lot": r.option(lambda: r.code(20, "supplier_lot"), "supplier_lot"),
            "order": r.option(lambda: r_reference(r, "order"), "order")}


def k1(r):
    return {"lot": r_lot(r), "stage": r_enum(r, 3, "stage"), "result": r_enum(r, 3, "result"),
            "certificate": r.option(lambda: r.digest("certificate"), "certificate"),
            "report": r.option(lambda: r_reference(r, "report"), "report"),
            "note": r.text(64, "note")}


def k2(r):
    return {"work_order": r_reference(r, "work_order"), "line": r.code(24, "line"),
            "produced_on": r.i32("produced_on"),
            "expiry": r.option(lambda: r.i32("expiry"), "expiry"),
            "inputs": r.list(lambda: r_lot_quantity(r), 24, "inputs"),
            "outputs": r.list(lambda: r_lot_quantity(r), 8, "outputs")}


def k3(r):
    return {"lot": r_lot(r), "status": r_enum(r, 4, "status"), "reason": r.text(64, "reason")}


def r_packable(r):
    v = r.variant(2, "packable")
    return ("lot", r_lot_quantity(r)) if v == 0 else ("container", r_container(r))


def k4(r):
    return {"into": r_container(r), "contents": r.list(lambda: r_packable(r), 16, "contents")}


def k5(r):
    return {"lot": r_lot(r), "quantity": r_quantity(r), "customer": r_party(r),
            "ship_to": r.option(lambda: r_location(r), "ship_to"),
            "order": r_reference(r, "order")}


def k6(r):
    return {"order": r_reference(r, "order"), "customer": r_party(r)}


def k7(r):
    return {"lot": r_lot(r), "quantity": r_quantity(r), "from": r_party(r),
            "kind": r_enum(r, 2, "returned.kind"), "reason": r.text(64, "reason"),
            "complaint": r.option(lambda: r_reference(r, "complaint"), "complaint"),
            "order": r.option(lambda: r_reference(r, "order"), "order")}


SEVERITY_N = 3
COMPLAINT_TYPE_N = 5


def complaint_registration(r, personal):
    """Kinds 8 and 16: the same fields; `personal(r, n, what)` reads the
    complainant's person and contact and the story (text<N> in kind 8,
    personal<N> in kind 16)."""
    d = {"complaint": r_reference(r, "complaint"), "received_at": r.i64("received_at"),
         "channel": r_enum(r, 5, "channel")}
    d["complainant"] = {"person": personal(r, 48, "complainant.person"),
                        "organisation": r.option(lambda: r_party(r), "complainant.organisation"),
                        "contact": personal(r, 64, "complainant.contact")}
    d["customer"] = r.option(lambda: r_party(r), "customer")
    d["product"] = r.text(48, "product")
    d["packaging"] = r.text(32, "packaging")
    d["quantity"] = r.option(lambda: r_quantity(r), "quantity")
    d["lot"] = r.option(lambda: r_lot(r), "lot")
    d["order"] = r.option(lambda: r_reference(r, "order"), "order")
    d["place_of_purchase"] = r.text(64, "place_of_purchase")
    d["story"] = personal(r, 160, "story")
    d["expectation"] = r.text(64, "expectation")
    d["evidence"] = r.list(lambda: r.digest("evidence"), 4, "evidence")
    d["severity"] = r_enum(r, SEVERITY_N, "severity")
    d["kind"] = r_enum(r, COMPLAINT_TYPE_N, "complaint kind")
    return d


def k8(r):
    return complaint_registration(r, lambda r, n, what: r.text(n, what))


def r_complaint_step(r):
    v = r.variant(9, "complaint_step")
    if v in (0, 7, 8):
        return (v,)
    if v == 1:
        return (v, r_enum(r, SEVERITY_N, "severity"), r_enum(r, COMPLAINT_TYPE_N, "complaint kind"))
    if v == 2:
        return (v, r_enum(r, 4, "method"), r.text(128, "findings"),
                r.option(lambda: r_enum(r, 5, "root_cause"), "root_cause"))
    if v == 3:
        return (v, r.text(128, "note"))
    if v == 4:
        return (v, r_enum(r, 6, "remedy"), r.option(lambda: r_reference(r, "capa"), "capa"),
                r.text(128, "note"))
    if v == 5:
        return (v, r.boolean("accepted"), r.text(128, "note"))
    # v == 6
    start = r.pos
    s = r.u8("satisfaction")
    if not 1 <= s <= 5:
        raise Undecodable("satisfaction %d at body offset %d not in 1..=5" % (s, start))
    return (v, s, r.text(128, "note"))


def k9(r):
    return {"complaint": r_reference(r, "complaint"), "step": r_complaint_step(r)}


def k10(r):
    return {"recall": r_reference(r, "recall"), "class": r_enum(r, 3, "class"),
            "lots": r.list(lambda: r_lot(r), 8, "lots"), "reason": r.text(128, "reason")}


def k11(r):
    d = {"recall": r_reference(r, "recall")}
    v = r.variant(3, "recall step")
    if v == 0:
        d["step"] = (v, r_party(r))
    elif v == 1:
        d["step"] = (v, r_party(r), r_lot(r), r_quantity(r))
    else:
        d["step"] = (v, r.text(128, "note"))
    return d


def k12(r):
    return {"lot": r_lot(r), "quantity": r_quantity(r), "reason": r.text(64, "reason"),
            "recall": r.option(lambda: r_reference(r, "recall"), "recall")}


def k13(r):
    return {"target": r_entry_ref(r), "reason": r.text(128, "reason"),
            "replacements": r.list(lambda: r.u64("replacement"), 4, "replacements")}


def k14(r):
    v = r.variant(5, "subject")
    if v == 0:
        subject = ("lot", r_lot(r))
    elif v in (1, 2, 3):
        subject = (("complaint", "recall", "order")[v - 1], r_reference(r, "subject"))
    else:
        subject = ("entry", r_entry_ref(r))
    return {"subject": subject, "kind": r_enum(r, 6, "attachment kind"),
            "digest": r.digest("digest"), "name": r.text(64, "name")}


def k15(r):
    def sig():
        return {"name": r.code(64, "signature.name"), "key_id": r.take(4, "key_id"),
                "signature": r.take(64, "signature")}
    return {"size": r.u64("size"), "root": r.digest("root"),
            "signature": r.option(sig, "signature")}


def r_personal(r, n, what):
    """personal<N> := enum { 0 plain(text<N>), 1 sealed(digest) } (section 5)."""
    v = r.variant(2, what)
    return ("plain", r.text(n, what)) if v == 0 else ("sealed", r.digest(what))


def k16(r):
    return complaint_registration(r, r_personal)


def r_address(r):
    return {"street": r.text(64, "street"), "city": r.text(40, "city"),
            "postal_code": r.text(12, "postal_code"), "region": r.text(40, "region"),
            "country": r.text(2, "country")}


def r_contact(r):
    return {"function": r.text(32, "function"), "person": r_personal(r, 48, "person"),
            "phone": r_personal(r, 32, "phone"), "email": r_personal(r, 64, "email")}


def k17(r):
    return {"party": r_party(r), "also_known_as": r.list(lambda: r_party(r), 3, "also_known_as"),
            "name": r.text(64, "name"), "roles": r.list(lambda: r_enum(r, 4, "role"), 4, "roles"),
            "addresses": r.list(lambda: r_address(r), 2, "addresses"),
            "contacts": r.list(lambda: r_contact(r), 3, "contacts")}


def k18(r):
    return {"location": r_location(r), "kind": r_enum(r, 4, "location kind"),
            "name": r.text(64, "name"), "address": r_address(r),
            "owner": r.option(lambda: r_party(r), "owner")}


def k19(r):
    return {"item": r_item(r), "also_known_as": r.list(lambda: r_item(r), 2, "also_known_as"),
            "description": r.text(64, "description"), "form": r.text(32, "form"),
            "strength": r.text(32, "strength"),
            "pack_size": r.option(lambda: r_quantity(r), "pack_size"),
            "shelf_life_days": r.option(lambda: r.u32("shelf_life_days"), "shelf_life_days"),
            "storage": r.text(64, "storage")}


def r_serial_range(r):
    start = r.pos
    prefix = r.text(19, "serial_range.prefix")
    first = r.u64("serial_range.first")
    count = r.u32("serial_range.count")
    width = r.u8("serial_range.width")
    if count == 0:
        raise Undecodable("serial range at body offset %d has count 0" % start)
    last = first + count - 1
    if last > U64_MAX:
        raise Undecodable("serial range at body offset %d runs past 2^64 - 1" % start)
    if any(not 0x21 <= b <= 0x7E for b in prefix.encode("utf-8")):
        raise Undecodable("serial range prefix at body offset %d has a byte outside 0x21..=0x7e" % start)
    if len(prefix.encode("utf-8")) + max(width, len(str(last))) > 20:
        raise Undecodable("serial range at body offset %d names serials longer than 20" % start)
    return {"prefix": prefix, "first": first, "count": count, "width": width}


def r_serial_span(r):
    v = r.variant(2, "serial_span")
    return ("one", r.code(20, "serial")) if v == 0 else ("range", r_serial_range(r))


def r_goods(r):
    v = r.variant(3, "goods")
    if v == 0:
        return ("lot", r_lot_quantity(r))
    if v == 1:
        return ("container", r_container(r))
    return ("serials", {"lot": r_lot(r), "serials": r_serial_span(r)})


def r_goods_list(r, what="goods"):
    return r.list(lambda: r_goods(r), 16, what)


def k20(r):
    return {"lot": r_lot(r), "serials": r.list(lambda: r_serial_span(r), 16, "serials")}


def k21(r):
    return {"parent": r_container(r), "action": r_enum(r, 2, "aggregation action"),
            "contents": r_goods_list(r, "contents")}


def k22(r):
    return {"customer": r_party(r), "ship_to": r.option(lambda: r_location(r), "ship_to"),
            "order": r_reference(r, "order"), "goods": r_goods_list(r)}


def k23(r):
    return {"from": r_party(r), "kind": r_enum(r, 2, "returned.kind"),
            "reason": r.text(64, "reason"),
            "complaint": r.option(lambda: r_reference(r, "complaint"), "complaint"),
            "order": r.option(lambda: r_reference(r, "order"), "order"), "goods": r_goods_list(r)}


def k24(r):
    return {"reason": r_enum(r, 6, "decommission reason"), "note": r.text(64, "note"),
            "recall": r.option(lambda: r_reference(r, "recall"), "recall"),
            "goods": r_goods_list(r)}


def k25(r):
    v = r.variant(3, "erasure subject")
    if v == 0:
        subject = ("complaint", r_reference(r, "subject"))
    elif v == 1:
        subject = ("party", r_party(r))
    else:
        subject = ("values",)
    return {"subject": subject,
            "commitments": r.list(lambda: r.digest("commitment"), 16, "commitments"),
            "reason": r.text(128, "reason")}


def k26(r):
    return {"action": r_enum(r, 2, "retention action"), "first_seq": r.u64("first_seq"),
            "end_seq": r.u64("end_seq"), "manifest": r.digest("manifest"),
            "reason": r.text(128, "reason")}


KINDS = {
    0: ("material_received", k0), 1: ("inspected", k1), 2: ("produced", k2),
    3: ("disposition_set", k3), 4: ("packed", k4), 5: ("shipped", k5),
    6: ("delivered", k6), 7: ("returned", k7), 8: ("complaint_registered_v1", k8),
    9: ("complaint_progress", k9), 10: ("recall_opened", k10), 11: ("recall_action", k11),
    12: ("destroyed", k12), 13: ("corrected", k13), 14: ("attached", k14),
    15: ("checkpointed", k15), 16: ("complaint_registered", k16), 17: ("party_described", k17),
    18: ("location_described", k18), 19: ("product_described", k19), 20: ("commissioned", k20),
    21: ("aggregated", k21), 22: ("goods_shipped", k22), 23: ("goods_returned", k23),
    24: ("decommissioned", k24), 25: ("personal_data_erased", k25), 26: ("retention_applied", k26),
}


def decode_record(body, pos):
    """Returns (kind, name, fields) or (kind, None, None) for unknown kinds.

    Raises Undecodable for a malformed record of a known kind.
    """
    r = Reader(body, pos)
    kind = r.u32("record kind")
    if kind not in KINDS:
        return kind, None, None
    name, f = KINDS[kind]
    fields = f(r)
    if r.remaining():
        raise Undecodable("record kind %d (%s) has %d bytes left over at body offset %d"
                          % (kind, name, r.remaining(), r.pos))
    return kind, name, fields


# --------------------------------------------------------------------------
# Frames and the chain (sections 1, 2, 4)
# --------------------------------------------------------------------------


def parse_frame(data, offset, seq):
    """Returns (body, frame_length). Raises Fail."""
    n = len(data)
    value = 0
    shift = 0
    p = offset
    while True:
        if p >= n:
            raise Fail("truncated", seq, offset,
                       "bytes end inside the length varint (%d bytes left)" % (n - offset))
        if p - offset >= 10:
            raise Fail("bad_length", seq, offset, "length varint longer than 10 bytes")
        b = data[p]
        p += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not (b & 0x80):
            break
    vlen = p - offset
    if value == 0:
        raise Fail("bad_length", seq, offset, "len=0")
    if value > MAX_LEN:
        raise Fail("bad_length", seq, offset, "len=%d exceeds %d" % (value, MAX_LEN))
    shortest = 1 if value < 0x80 else 2  # value <= 4096 needs at most 2 bytes
    if vlen != shortest:
        raise Fail("bad_length", seq, offset,
                   "len=%d not in shortest form (%s)" % (value, data[offset:p].hex()))
    end = p + value + 4
    if end > n:
        raise Fail("truncated", seq, offset,
                   "frame needs %d bytes, %d left" % (end - offset, n - offset))
    body = data[p:p + value]
    stored = int.from_bytes(data[p + value:end], "little")
    computed = crc32c(data[offset:p + value])
    if stored != computed:
        raise Fail("bad_checksum", seq, offset,
                   "stored=%08x computed=%08x" % (stored, computed))
    return body, end - offset


def verify(data, ledger_id, head=None, records=False, notice=None, start=None, offset=0,
           state=None):
    """Walks the ledger, or one segment's frames from `offset` on continuing
    `start` = (seq, prev_hash). Returns (seq, head_hash); raises Fail.
    `state` (a dict) carries the last time and the hashes across calls."""
    if notice is None:
        notice = lambda msg: None
    if state is None:
        state = {"last_time": None, "hashes": []}
    expected_seq, prev_hash = start if start is not None else (0, genesis(ledger_id))
    last_time = state["last_time"]
    hashes = state["hashes"]  # hash of entry i (only when records, for reference checks)
    while offset < len(data):
        state["pos"] = (expected_seq, prev_hash, last_time)
        body, flen = parse_frame(data, offset, expected_seq)
        if body[0] != VERSION:
            raise Fail("unknown_version", expected_seq, offset, "version=%d" % body[0])
        r = Reader(body, 1)
        try:
            seq = r.u64("seq")
            time = r.i64("time")
            link = r.take(8, "link")
            actor = r.code(32, "actor")
            station = r.code(32, "station")
        except Undecodable as e:
            raise Fail("undecodable", expected_seq, offset, str(e))
        if seq != expected_seq:
            f = Fail("sequence_gap", expected_seq, offset, "found %d" % seq)
            f.found = seq
            raise f
        if link != prev_hash[:8]:
            raise Fail("broken_link", expected_seq, offset,
                       "link=%s expected=%s" % (link.hex(), prev_hash[:8].hex()))
        if last_time is not None and time < last_time:
            notice("seq=%d offset=%d time goes backwards (%d < %d)" % (seq, offset, time, last_time))
        last_time = time
        if records:
            try:
                kind, name, fields = decode_record(body, r.pos)
            except Undecodable as e:
                raise Fail("undecodable", expected_seq, offset, "record: " + str(e))
            if name is None:
                notice("seq=%d offset=%d unknown record kind %d (not decoded)" % (seq, offset, kind))
            else:
                _semantic_notices(seq, offset, kind, fields, hashes, notice)
        new_hash = entry_hash(prev_hash, body)
        hashes.append(new_hash)
        prev_hash = new_hash
        expected_seq = seq + 1
        offset += flen
        state["last_time"] = last_time
    if head is not None:
        hseq, hhash = head
        if hseq != expected_seq or hhash != prev_hash:
            raise Fail("hash_mismatch", expected_seq, offset,
                       "found=%d:%s expected=%d:%s" % (expected_seq, prev_hash.hex(), hseq, hhash.hex()))
    return expected_seq, prev_hash


def _check_entry_ref(seq, offset, ref, hashes, notice, what):
    if ref["seq"] >= seq:
        notice("seq=%d offset=%d %s names entry %d, not an earlier one" % (seq, offset, what, ref["seq"]))
    elif hashes[ref["seq"]] != ref["hash"]:
        notice("seq=%d offset=%d %s names entry %d with hash %s, but its hash is %s"
               % (seq, offset, what, ref["seq"], ref["hash"].hex(), hashes[ref["seq"]].hex()))


def _semantic_notices(seq, offset, kind, fields, hashes, notice):
    # Not failures: the document does not make these verification rules.
    if kind == 13:
        _check_entry_ref(seq, offset, fields["target"], hashes, notice, "correction target")
        for rep in fields["replacements"]:
            if rep >= seq:
                notice("seq=%d offset=%d replacement %d was not written before the correction"
                       % (seq, offset, rep))
    elif kind == 14 and fields["subject"][0] == "entry":
        _check_entry_ref(seq, offset, fields["subject"][1], hashes, notice, "attachment subject")


# --------------------------------------------------------------------------
# A directory of segment files (FORMAT.md section 1, "Segment files")
# --------------------------------------------------------------------------

MAGIC = b"LOTLSEG\n"
HEADER_LEN = 72


def intact_later_frame(data, at, min_seq):
    """Whether an intact frame of entry min_seq or later starts anywhere after `at`."""
    for p in range(at + 1, len(data)):
        try:
            body, _ = parse_frame(data, p, min_seq)
            if body[0] != VERSION:
                continue
            seq = Reader(body, 1).u64("seq")
        except (Fail, Undecodable, IndexError):
            continue
        if seq >= min_seq:
            return True
    return False


def is_tail(data, e):
    """FORMAT.md "The tail": whether failure e at the end of the last segment is
    an incomplete tail rather than a failure."""
    if e.kind == "bad_checksum":
        vlen = 1 if data[e.offset] < 0x80 else 2
        if data[e.offset + vlen] == VERSION:
            return False  # a damaged frame
    elif e.kind == "sequence_gap":
        if e.found >= e.seq:
            return False
    elif e.kind not in ("truncated", "bad_length"):
        return False
    return not intact_later_frame(data, e.offset, e.seq)


def verify_dir(path, archived, records, notice):
    """Returns (first_seq, seq, head_hash, tail); raises Fail (with .file)."""
    names = sorted(n for n in os.listdir(path)
                   if len(n) == 24 and n.endswith(".seg") and n[:20].isdigit())
    if not names:
        raise Fail("no_ledger", 0, 0, "no segment file")
    ledger_id = None
    start = None
    first_seq = None
    state = {"last_time": None, "hashes": []}
    tail = None
    for i, name in enumerate(names):
        file = os.path.join(path, name)

        def fail(kind, seq, offset, detail):
            f = Fail(kind, seq, offset, detail)
            f.file = file
            return f
        if not os.path.isfile(file):
            raise fail("not_a_file", 0, 0, "")
        with open(file, "rb") as f:
            data = f.read()
        if len(data) < HEADER_LEN:
            m = min(len(data), 8)
            kind = "truncated_header" if data[:m] == MAGIC[:m] else "not_a_segment"
            raise fail(kind, 0, 0, "len=%d" % len(data))
        if data[:8] != MAGIC:
            raise fail("not_a_segment", 0, 0, "")
        if int.from_bytes(data[8:10], "little") != 1:
            raise fail("unsupported_header_version", 0, 0, "")
        if int.from_bytes(data[68:72], "little") != crc32c(data[:68]):
            raise fail("header_checksum", 0, 0, "")
        if data[10] != VERSION:
            raise fail("unknown_version", 0, 0, "entry version %d" % data[10])
        lid, seg_seq, prev = data[12:28], int.from_bytes(data[28:36], "little"), data[36:68]
        if start is None and seg_seq == 0 and prev != genesis(lid):
            raise fail("not_genesis", 0, 0, "")
        if ledger_id is None:
            ledger_id = lid
        elif lid != ledger_id:
            raise fail("ledger_mismatch", 0, 0, "")
        if seg_seq != int(name[:20]):
            raise fail("misnamed_segment", 0, 0, "")
        if start is not None and (seg_seq, prev) != start:
            raise fail("segment_gap", 0, 0, "starts at %d, expected %d" % (seg_seq, start[0]))
        if first_seq is None:
            first_seq = seg_seq
        try:
            start = verify(data, ledger_id, records=records, notice=notice,
                           start=(seg_seq, prev), offset=HEADER_LEN, state=state)
        except Fail as e:
            e.file = file
            if i == len(names) - 1 and is_tail(data, e):
                tail = (file, e.offset, len(data) - e.offset, e.seq)
                seq, prev_hash, last_time = state["pos"]
                start = (seq, prev_hash)
            else:
                raise
    if first_seq > 0 and not archived:
        f = Fail("missing_start", first_seq, 0, "entries 0..%d are not here" % (first_seq - 1))
        f.file = os.path.join(path, names[0])
        raise f
    return first_seq, start[0], start[1], tail


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------

USAGE = ("usage: verify.py LEDGER_FILE LEDGER_ID_HEX [--head SEQ:HASHHEX] [--records]\n"
         "       verify.py --dir LEDGER_DIR [--archived] [--records]")


def _usage(msg):
    print("error: %s\n%s" % (msg, USAGE), file=sys.stderr)
    return 2


def main_dir(args):
    records = "--records" in args
    archived = "--archived" in args
    pos = [a for a in args if not a.startswith("--")]
    if len(pos) != 1 or any(a not in ("--dir", "--records", "--archived") for a in args
                            if a.startswith("--")):
        return _usage("--dir needs LEDGER_DIR and only --archived, --records")
    regressions = [0]

    def notice(msg):
        if "time goes backwards" in msg:
            regressions[0] += 1
        print("notice: " + msg, file=sys.stderr)
    try:
        first, n, h, tail = verify_dir(pos[0], archived, records, notice)
    except Fail as e:
        print("fail file=%s %s" % (os.path.basename(getattr(e, "file", "")), e.line()[5:]))
        return 1
    except OSError as e:
        print("error: %s" % e)
        return 4
    line = "ok first=%d entries=%d head=%d:%s time_regressions=%d" % (
        first, n - first, n, h.hex(), regressions[0])
    if tail:
        line += " tail=%s:%d:%d:%d" % (os.path.basename(tail[0]), tail[1], tail[2], tail[3])
    print(line)
    return 0


def main(argv):
    args = list(argv)
    if "--dir" in args:
        return main_dir(args)
    records = False
    head = None
    pos = []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--records":
            records = True
        elif a == "--head" or a.startswith("--head="):
            if a == "--head":
                if i + 1 >= len(args):
                    return _usage("--head needs SEQ:HASHHEX")
                i += 1
                v = args[i]
            else:
                v = a[len("--head="):]
            try:
                s, h = v.split(":", 1)
                hseq = int(s, 10)
                hhash = bytes.fromhex(h)
                if hseq < 0 or len(hhash) != 32:
                    raise ValueError
            except ValueError:
                return _usage("bad --head value %r (want SEQ:64 hex digits)" % v)
            head = (hseq, hhash)
        elif a.startswith("--"):
            return _usage("unknown option %s" % a)
        else:
            pos.append(a)
        i += 1
    if len(pos) != 2:
        return _usage("need LEDGER_FILE and LEDGER_ID_HEX")
    try:
        ledger_id = bytes.fromhex(pos[1])
    except ValueError:
        return _usage("ledger id is not hex")
    if len(ledger_id) != 16:
        return _usage("ledger id must be 16 bytes (32 hex digits)")
    try:
        with open(pos[0], "rb") as f:
            data = f.read()
    except OSError as e:
        return _usage("cannot read %s: %s" % (pos[0], e))

    def notice(msg):
        print("notice: " + msg, file=sys.stderr)

    try:
        n, h = verify(data, ledger_id, head=head, records=records, notice=notice)
    except Fail as e:
        print(e.line())
        return 1
    except Exception as e:  # defensive: never a traceback
        print("fail seq=? offset=? kind=undecodable internal error: %s: %s" % (type(e).__name__, e))
        return 1
    print("ok entries=%d head=%d:%s" % (n, n, h.hex()))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.exit(130)
