"""The C ABI from Python through ctypes: write a ledger of JSON entries
(docs/JSON.md), verify it, and print the forward trace and the recall report
of a raw-material lot as JSON.

    cargo build -p lotledger-ffi --release
    python3 ffi/examples/recall.py target/release/liblotledger_ffi.so /tmp/py-ledger

Prints the recall report on standard output; exits 1 on any error.
"""
import ctypes
import json
import sys

OK = 0


class Receipt(ctypes.Structure):
    _fields_ = [("seq", ctypes.c_uint64), ("hash", ctypes.c_uint8 * 32)]


class Head(ctypes.Structure):
    _fields_ = [("next_seq", ctypes.c_uint64), ("hash", ctypes.c_uint8 * 32)]


class Report(ctypes.Structure):
    _fields_ = [("entries", ctypes.c_uint64), ("bytes", ctypes.c_uint64), ("head", Head)]


class Lot(ctypes.Structure):
    _fields_ = [("item", ctypes.c_char_p), ("lot", ctypes.c_char_p)]


ENTRIES = [
    {"time": "2026-03-02T06:00:00Z", "actor": "k.huber", "station": "WH-DOCK-1",
     "record": {"material_received": {"lot": {"item": {"internal": "RM-ADHESIVE"}, "lot": "R260170"},
                                      "quantity": "120 KGM", "supplier": {"gln": "5412345000662"}}}},
    {"time": "2026-03-02T09:00:00Z", "actor": "p.rossi", "station": "LINE-1",
     "record": {"produced": {"work_order": "WO0000170", "line": "LINE-1", "produced_on": "2026-03-02",
                             "inputs": [{"lot": {"item": {"internal": "RM-ADHESIVE"}, "lot": "R260170"},
                                         "quantity": "40 KGM"}],
                             "outputs": [{"lot": {"item": {"gtin": "09506000134680"}, "lot": "B260170"},
                                          "quantity": "5000 H87"}]}}},
    {"time": "2026-03-03T10:00:00Z", "actor": "r.fischer", "station": "SHIP-1",
     "record": {"shipped": {"lot": {"item": {"gtin": "09506000134680"}, "lot": "B260170"},
                            "quantity": "1200 H87", "customer": {"gln": "4012345000009"},
                            "order": "SO0000170"}}},
]


def main():
    if len(sys.argv) != 3:
        print("usage: recall.py LIBRARY DIR", file=sys.stderr)
        return 2
    lib = ctypes.CDLL(sys.argv[1])
    lib.lotledger_status_message.restype = ctypes.c_char_p
    lib.lotledger_last_error.restype = ctypes.c_char_p
    lib.lotledger_file_create.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p,
                                          ctypes.POINTER(ctypes.c_void_p)]
    lib.lotledger_file_append_json.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t,
                                               ctypes.POINTER(Receipt)]
    lib.lotledger_file_close.argtypes = [ctypes.c_void_p]
    lib.lotledger_file_verify.argtypes = [ctypes.c_char_p, ctypes.POINTER(Report)]
    lib.lotledger_trace_forward.argtypes = [ctypes.c_char_p, ctypes.POINTER(Lot),
                                            ctypes.POINTER(ctypes.c_void_p)]
    lib.lotledger_recall.argtypes = [ctypes.c_char_p, ctypes.POINTER(Lot), ctypes.c_size_t,
                                     ctypes.POINTER(ctypes.c_void_p)]
    lib.lotledger_string_free.argtypes = [ctypes.c_void_p]

    def check(status, what):
        if status != OK:
            raise SystemExit("%s: %s (%s)" % (what, lib.lotledger_status_message(status).decode(),
                                               lib.lotledger_last_error().decode()))

    def take_string(ptr):
        # The library owns the string until lotledger_string_free.
        text = ctypes.string_at(ptr.value).decode()
        lib.lotledger_string_free(ptr)
        return text

    directory = sys.argv[2].encode()
    ledger = ctypes.c_void_p()
    check(lib.lotledger_file_create(directory, bytes(range(16)), None, ctypes.byref(ledger)), "create")
    receipt = Receipt()
    for entry in ENTRIES:
        line = json.dumps(entry).encode()
        check(lib.lotledger_file_append_json(ledger, line, len(line), ctypes.byref(receipt)), "append")
        print("entry %d %s" % (receipt.seq, bytes(receipt.hash).hex()), file=sys.stderr)
    check(lib.lotledger_file_close(ledger), "close")

    report = Report()
    check(lib.lotledger_file_verify(directory, ctypes.byref(report)), "verify")
    assert report.entries == len(ENTRIES)

    lot = Lot(b"RM-ADHESIVE", b"R260170")
    out = ctypes.c_void_p()
    check(lib.lotledger_trace_forward(directory, ctypes.byref(lot), ctypes.byref(out)), "trace")
    trace = json.loads(take_string(out))
    print("forward trace: %d shipments" % len(trace["shipments"]), file=sys.stderr)
    check(lib.lotledger_recall(directory, ctypes.byref(lot), 1, ctypes.byref(out)), "recall")
    print(take_string(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
