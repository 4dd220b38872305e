/* Every error path of the C ABI, run by tests/c_programs.rs under
 * AddressSanitizer and UndefinedBehaviorSanitizer: a full buffer, bad
 * records, a failing and a torn storage write, tampered bytes, torn and
 * corrupted flash, bad flash arguments, a bad GS1 scan, bad JSON, file and
 * query errors. Each CHECK that fails prints its line and exits 1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lotledger.h"

static int failures = 0;
#define CHECK(cond)                                                   \
    do {                                                              \
        if (!(cond)) {                                                \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            failures++;                                               \
        }                                                             \
    } while (0)
#define EXPECT(call, status) CHECK((call) == (status))

static const uint8_t LEDGER[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
static const uint8_t OTHER[16] = {9};

static LotledgerStamp stamp = {1772438400000LL, "op.4711", "LINE-2"};
static LotledgerDispositionSet hold = {{"FG-PATCH-10", "B260417"}, LOTLEDGER_DISPOSITION_ON_HOLD, "check seal"};

static LotledgerRecord good(void) { return (LotledgerRecord){LOTLEDGER_KIND_DISPOSITION_SET, &hold}; }

/* Storage callbacks over a RAM array; `fail_writes` makes writes fail,
 * `torn` makes them store half the frame first. */
struct store {
    uint8_t bytes[4096];
    int fail_writes;
    int torn;
};

static int32_t store_read(void *ctx, uint64_t offset, uint8_t *out, size_t len) {
    struct store *s = ctx;
    if (offset + len > sizeof s->bytes) return -1;
    memcpy(out, s->bytes + offset, len);
    return 0;
}

static int32_t store_write(void *ctx, uint64_t offset, const uint8_t *data, size_t len) {
    struct store *s = ctx;
    if (offset + len > sizeof s->bytes) return -1;
    if (s->torn) {
        memcpy(s->bytes + offset, data, len / 2);
        return -5;
    }
    if (s->fail_writes) return -1;
    memcpy(s->bytes + offset, data, len);
    return 0;
}

static int32_t store_sync(void *ctx) { return ((struct store *)ctx)->fail_writes ? -1 : 0; }

static void status_messages(void) {
    for (int32_t code = -1; code < 100; code++) {
        const char *m = lotledger_status_message(code);
        CHECK(m != NULL && m[0] != '\0');
    }
    CHECK(strcmp(lotledger_status_message(LOTLEDGER_OK), "ok") == 0);
    CHECK(strcmp(lotledger_status_message(12345), "unknown status code") == 0);
}

static void buffer_writer(void) {
    uint8_t mem[200], scratch[256];
    LotledgerWriter w;
    LotledgerReceipt r;
    LotledgerRecord rec = good();
    EXPECT(lotledger_writer_append(NULL, &stamp, &rec, &r), LOTLEDGER_ERR_NULL);
    memset(&w, 0, sizeof w);
    EXPECT(lotledger_writer_append(&w, &stamp, &rec, &r), LOTLEDGER_ERR_NOT_OPEN);
    EXPECT(lotledger_writer_open_buffer(&w, mem, sizeof mem, sizeof mem + 1, LEDGER, scratch, sizeof scratch, NULL), LOTLEDGER_ERR_ARGUMENT);
    EXPECT(lotledger_writer_open_buffer(&w, mem, sizeof mem, 0, LEDGER, scratch, sizeof scratch, NULL), LOTLEDGER_OK);

    /* Fill the buffer: each append fits until one does not; that one writes nothing. */
    LotledgerHead before, after;
    uint64_t stored_before, stored_after;
    int appended = 0;
    LotledgerStatus s;
    while ((s = lotledger_writer_append(&w, &stamp, &rec, &r)) == LOTLEDGER_OK) appended++;
    CHECK(appended >= 2);
    EXPECT(s, LOTLEDGER_ERR_STORAGE_FULL);
    EXPECT(lotledger_writer_head(&w, &before, &stored_before), LOTLEDGER_OK);
    EXPECT(lotledger_writer_append(&w, &stamp, &rec, &r), LOTLEDGER_ERR_STORAGE_FULL);
    EXPECT(lotledger_writer_head(&w, &after, &stored_after), LOTLEDGER_OK);
    CHECK(before.next_seq == (uint64_t)appended && after.next_seq == before.next_seq);
    CHECK(stored_before == stored_after && memcmp(before.hash, after.hash, 32) == 0);

    /* What is stored verifies and ends at the head. */
    LotledgerReport report;
    LotledgerFailure failure;
    EXPECT(lotledger_verify(mem, (size_t)stored_after, LEDGER, NULL, &after, &report, &failure), LOTLEDGER_OK);
    CHECK(report.entries == (uint64_t)appended);

    /* Bad records: each refused with the field's code, nothing appended. */
    LotledgerDispositionSet bad = hold;
    LotledgerRecord bad_rec = {LOTLEDGER_KIND_DISPOSITION_SET, &bad};
    EXPECT(lotledger_writer_close(&w), LOTLEDGER_OK);
    EXPECT(lotledger_writer_open_buffer(&w, mem, sizeof mem, 0, LEDGER, scratch, sizeof scratch, NULL), LOTLEDGER_OK);
    bad.lot.item = "gtin:09506000134353"; /* wrong check digit */
    EXPECT(lotledger_writer_append(&w, &stamp, &bad_rec, &r), LOTLEDGER_ERR_BAD_ITEM);
    bad = hold;
    bad.lot.lot = "";
    EXPECT(lotledger_writer_append(&w, &stamp, &bad_rec, &r), LOTLEDGER_ERR_BAD_LOT);
    bad = hold;
    bad.status = 9;
    EXPECT(lotledger_writer_append(&w, &stamp, &bad_rec, &r), LOTLEDGER_ERR_BAD_KIND);
    bad = hold;
    bad.reason = "\xff\xfe";
    EXPECT(lotledger_writer_append(&w, &stamp, &bad_rec, &r), LOTLEDGER_ERR_BAD_TEXT);
    bad = hold;
    bad.lot.item = NULL;
    EXPECT(lotledger_writer_append(&w, &stamp, &bad_rec, &r), LOTLEDGER_ERR_BAD_ITEM);
    LotledgerRecord unknown = {77, &hold};
    EXPECT(lotledger_writer_append(&w, &stamp, &unknown, &r), LOTLEDGER_ERR_BAD_KIND);
    LotledgerRecord no_fields = {LOTLEDGER_KIND_SHIPPED, NULL};
    EXPECT(lotledger_writer_append(&w, &stamp, &no_fields, &r), LOTLEDGER_ERR_NULL);
    LotledgerStamp bad_stamp = {0, "", "LINE-2"};
    EXPECT(lotledger_writer_append(&w, &bad_stamp, &rec, &r), LOTLEDGER_ERR_BAD_ACTOR);
    bad_stamp = (LotledgerStamp){0, "op", "a station name far longer than thirty-two bytes"};
    EXPECT(lotledger_writer_append(&w, &bad_stamp, &rec, &r), LOTLEDGER_ERR_BAD_STATION);

    LotledgerShipped ship = {{"FG-PATCH-10", "B260417"}, "240", "C10417", NULL, "SO0000417"};
    LotledgerRecord ship_rec = {LOTLEDGER_KIND_SHIPPED, &ship};
    EXPECT(lotledger_writer_append(&w, &stamp, &ship_rec, &r), LOTLEDGER_ERR_BAD_QUANTITY);
    ship.quantity = "240 H87";
    ship.customer = "gln:123";
    EXPECT(lotledger_writer_append(&w, &stamp, &ship_rec, &r), LOTLEDGER_ERR_BAD_PARTY);
    ship.customer = "C10417";
    ship.ship_to = "gln:12";
    EXPECT(lotledger_writer_append(&w, &stamp, &ship_rec, &r), LOTLEDGER_ERR_BAD_LOCATION);
    ship.ship_to = NULL;
    ship.order = "an order number over twenty-four bytes";
    EXPECT(lotledger_writer_append(&w, &stamp, &ship_rec, &r), LOTLEDGER_ERR_BAD_REFERENCE);

    LotledgerLotQuantity many[25];
    for (int i = 0; i < 25; i++) many[i] = (LotledgerLotQuantity){{"RM-1", "L1"}, "1 KGM"};
    LotledgerProduced prod = {"WO1", "LINE-1", {2026, 2, 30}, {0, 0, 0}, many, 1, many, 1};
    LotledgerRecord prod_rec = {LOTLEDGER_KIND_PRODUCED, &prod};
    EXPECT(lotledger_writer_append(&w, &stamp, &prod_rec, &r), LOTLEDGER_ERR_BAD_DATE);
    prod.produced_on = (LotledgerDate){2026, 2, 28};
    prod.input_count = 25;
    EXPECT(lotledger_writer_append(&w, &stamp, &prod_rec, &r), LOTLEDGER_ERR_TOO_MANY);
    prod.input_count = 24;
    prod.inputs = NULL;
    EXPECT(lotledger_writer_append(&w, &stamp, &prod_rec, &r), LOTLEDGER_ERR_NULL);
    EXPECT(lotledger_writer_head(&w, &after, NULL), LOTLEDGER_OK);
    CHECK(after.next_seq == 0);

    /* A scratch buffer too small for the entry. */
    LotledgerWriter small;
    uint8_t tiny[16];
    EXPECT(lotledger_writer_open_buffer(&small, mem, sizeof mem, 0, LEDGER, tiny, sizeof tiny, NULL), LOTLEDGER_OK);
    EXPECT(lotledger_writer_append(&small, &stamp, &rec, &r), LOTLEDGER_ERR_BUFFER_TOO_SMALL);
}

static void verify_errors(void) {
    uint8_t mem[1024], scratch[256];
    LotledgerWriter w;
    LotledgerReceipt r;
    LotledgerRecord rec = good();
    EXPECT(lotledger_writer_open_buffer(&w, mem, sizeof mem, 0, LEDGER, scratch, sizeof scratch, NULL), LOTLEDGER_OK);
    for (int i = 0; i < 3; i++) EXPECT(lotledger_writer_append(&w, &stamp, &rec, &r), LOTLEDGER_OK);
    LotledgerHead head, genesis;
    uint64_t len;
    EXPECT(lotledger_writer_head(&w, &head, &len), LOTLEDGER_OK);
    EXPECT(lotledger_genesis(LEDGER, &genesis), LOTLEDGER_OK);
    LotledgerFailure f;
    memset(&f, 0, sizeof f);

    /* Checked against a head it does not end at (a truncated copy). */
    EXPECT(lotledger_verify(mem, (size_t)len, LEDGER, NULL, &genesis, NULL, &f), LOTLEDGER_ERR_VERIFY);
    CHECK(f.kind == LOTLEDGER_FAILURE_HASH_MISMATCH);
    /* A torn last frame. */
    EXPECT(lotledger_verify(mem, (size_t)len - 3, LEDGER, NULL, NULL, NULL, &f), LOTLEDGER_ERR_VERIFY);
    CHECK(f.kind == LOTLEDGER_FAILURE_FRAME && f.seq == 2 && f.offset > 0);
    /* Another ledger's genesis. */
    EXPECT(lotledger_verify(mem, (size_t)len, OTHER, NULL, NULL, NULL, &f), LOTLEDGER_ERR_VERIFY);
    CHECK(f.kind == LOTLEDGER_FAILURE_BROKEN_LINK && f.seq == 0 && f.offset == 0);
    /* A flipped byte fails the CRC of its frame; reopening refuses it. */
    mem[10] ^= 0x40;
    EXPECT(lotledger_verify(mem, (size_t)len, LEDGER, NULL, NULL, NULL, &f), LOTLEDGER_ERR_VERIFY);
    CHECK(f.kind == LOTLEDGER_FAILURE_FRAME && f.seq == 0);
    EXPECT(lotledger_writer_open_buffer(&w, mem, sizeof mem, (size_t)len, LEDGER, scratch, sizeof scratch, &f), LOTLEDGER_ERR_VERIFY);
    EXPECT(lotledger_verify(NULL, 5, LEDGER, NULL, NULL, NULL, NULL), LOTLEDGER_ERR_NULL);
}

static void callback_writer(void) {
    static struct store s;
    memset(&s, 0, sizeof s);
    uint8_t scratch[512];
    LotledgerStorageCallbacks cb = {&s, store_read, store_write, store_sync};
    LotledgerWriter w;
    LotledgerReceipt r;
    LotledgerRecord rec = good();
    LotledgerFailure f;
    LotledgerHead head;
    uint64_t len;
    EXPECT(lotledger_writer_open_callbacks(&w, cb, 0, LEDGER, scratch, sizeof scratch, NULL), LOTLEDGER_OK);
    EXPECT(lotledger_writer_append(&w, &stamp, &rec, &r), LOTLEDGER_OK);
    EXPECT(lotledger_writer_sync(&w), LOTLEDGER_OK);

    /* A storage error: nothing appended, the head stays. */
    s.fail_writes = 1;
    EXPECT(lotledger_writer_append(&w, &stamp, &rec, &r), LOTLEDGER_ERR_STORAGE);
    EXPECT(lotledger_writer_sync(&w), LOTLEDGER_ERR_STORAGE);
    s.fail_writes = 0;
    EXPECT(lotledger_writer_head(&w, &head, &len), LOTLEDGER_OK);
    CHECK(head.next_seq == 1);
    EXPECT(lotledger_writer_append(&w, &stamp, &rec, &r), LOTLEDGER_OK);
    CHECK(r.seq == 1);
    EXPECT(lotledger_writer_head(&w, &head, &len), LOTLEDGER_OK);

    /* A torn write: the failed append leaves half a frame after `len`. A
     * restart that counts those bytes is told where the intact part ends. */
    s.torn = 1;
    EXPECT(lotledger_writer_append(&w, &stamp, &rec, &r), LOTLEDGER_ERR_STORAGE);
    s.torn = 0;
    uint64_t torn_len = len + 20;
    EXPECT(lotledger_writer_open_callbacks(&w, cb, torn_len, LEDGER, scratch, sizeof scratch, &f), LOTLEDGER_ERR_VERIFY);
    CHECK(f.kind == LOTLEDGER_FAILURE_FRAME && f.offset == len && f.seq == 2);
    EXPECT(lotledger_writer_open_callbacks(&w, cb, f.offset, LEDGER, scratch, sizeof scratch, &f), LOTLEDGER_OK);
    LotledgerHead reopened;
    EXPECT(lotledger_writer_head(&w, &reopened, NULL), LOTLEDGER_OK);
    CHECK(reopened.next_seq == 2 && memcmp(reopened.hash, head.hash, 32) == 0);
    /* A read failure while opening, and a scratch buffer too small to read a frame back. */
    LotledgerStorageCallbacks no_read = {&s, NULL, store_write, NULL};
    EXPECT(lotledger_writer_open_callbacks(&w, no_read, len, LEDGER, scratch, sizeof scratch, &f), LOTLEDGER_ERR_STORAGE);
    EXPECT(lotledger_writer_open_callbacks(&w, cb, len, LEDGER, scratch, 8, &f), LOTLEDGER_ERR_BUFFER_TOO_SMALL);
}

/* A NOR flash of 4 pages in RAM: writes only into erased words; `cut_after`
 * > 0 programs that many bytes of the next write and then fails (power cut). */
#define PAGES 4
static struct {
    uint8_t mem[PAGES * LOTLEDGER_FLASH_PAGE_SIZE];
    int cut_after;
    int fail;
} nor;

static int32_t nor_read(void *ctx, uint32_t offset, uint8_t *out, size_t len) {
    (void)ctx;
    if (offset + len > sizeof nor.mem) return -1;
    memcpy(out, nor.mem + offset, len);
    return 0;
}

static int32_t nor_write(void *ctx, uint32_t offset, const uint8_t *data, size_t len) {
    (void)ctx;
    if (offset % LOTLEDGER_FLASH_WRITE_SIZE || len % LOTLEDGER_FLASH_WRITE_SIZE || offset + len > sizeof nor.mem) return -2;
    for (size_t i = 0; i < len; i++) {
        if (nor.mem[offset + i] != 0xFF) return -3; /* written twice */
    }
    if (nor.fail) return -1;
    if (nor.cut_after > 0) {
        size_t n = (size_t)nor.cut_after < len ? (size_t)nor.cut_after : len;
        memcpy(nor.mem + offset, data, n);
        nor.cut_after = 0;
        return -4;
    }
    memcpy(nor.mem + offset, data, len);
    return 0;
}

static int32_t nor_erase(void *ctx, uint32_t from, uint32_t to) {
    (void)ctx;
    if (from % LOTLEDGER_FLASH_PAGE_SIZE || to % LOTLEDGER_FLASH_PAGE_SIZE || to > sizeof nor.mem) return -2;
    memset(nor.mem + from, 0xFF, to - from);
    return 0;
}

static void flash(void) {
    memset(nor.mem, 0xFF, sizeof nor.mem);
    LotledgerFlashDriver d = {NULL, sizeof nor.mem, nor_read, nor_write, nor_erase};
    static LotledgerFlash fl;
    static uint8_t scratch[512], batch_buf[2048];
    LotledgerReceipt r;
    LotledgerRecord rec = good();
    LotledgerBatch b;
    LotledgerFlashState st;

    EXPECT(lotledger_flash_open(&fl, d, 0, PAGES, LEDGER, scratch, sizeof scratch), LOTLEDGER_ERR_FLASH_BLANK);
    EXPECT(lotledger_flash_format(&fl, d, 0, 1, LEDGER, scratch, sizeof scratch), LOTLEDGER_ERR_FLASH_REGION);
    EXPECT(lotledger_flash_format(&fl, d, 100, 2, LEDGER, scratch, sizeof scratch), LOTLEDGER_ERR_FLASH_REGION);
    EXPECT(lotledger_flash_format(&fl, d, 0, PAGES + 1, LEDGER, scratch, sizeof scratch), LOTLEDGER_ERR_FLASH_REGION);
    EXPECT(lotledger_flash_format(&fl, d, 0, PAGES, LEDGER, scratch, sizeof scratch), LOTLEDGER_OK);
    EXPECT(lotledger_flash_append(&fl, &stamp, &rec, &r), LOTLEDGER_OK);
    EXPECT(lotledger_flash_append(&fl, &stamp, &rec, &r), LOTLEDGER_OK);
    EXPECT(lotledger_flash_confirm(&fl, 5), LOTLEDGER_ERR_FLASH_NOT_WRITTEN);
    EXPECT(lotledger_flash_read_batch(&fl, batch_buf, 8, &b), LOTLEDGER_ERR_FLASH_BUFFER_TOO_SMALL);
    EXPECT(lotledger_flash_read_batch(&fl, batch_buf, sizeof batch_buf, &b), LOTLEDGER_OK);
    CHECK(b.first_seq == 0 && b.count == 2 && b.len > 0);
    /* The batch is whole frames of this ledger: it verifies from its start. */
    EXPECT(lotledger_verify(batch_buf, b.len, LEDGER, &b.start, NULL, NULL, NULL), LOTLEDGER_OK);
    EXPECT(lotledger_flash_confirm(&fl, 1), LOTLEDGER_OK);
    EXPECT(lotledger_flash_state(&fl, &st), LOTLEDGER_OK);
    CHECK(st.head.next_seq == 2 && st.confirmed == 2 && st.pending == 0);

    /* A driver error. */
    nor.fail = 1;
    EXPECT(lotledger_flash_append(&fl, &stamp, &rec, &r), LOTLEDGER_ERR_FLASH_DRIVER);
    nor.fail = 0;

    /* Torn flash: the power fails 8 bytes into an entry's write. After the
     * reboot the ledger opens, the torn entry is absent, the chain goes on. */
    EXPECT(lotledger_flash_open(&fl, d, 0, PAGES, LEDGER, scratch, sizeof scratch), LOTLEDGER_OK);
    EXPECT(lotledger_flash_state(&fl, &st), LOTLEDGER_OK);
    LotledgerHead head_before = st.head;
    nor.cut_after = 8;
    EXPECT(lotledger_flash_append(&fl, &stamp, &rec, &r), LOTLEDGER_ERR_FLASH_DRIVER);
    EXPECT(lotledger_flash_open(&fl, d, 0, PAGES, LEDGER, scratch, sizeof scratch), LOTLEDGER_OK);
    EXPECT(lotledger_flash_state(&fl, &st), LOTLEDGER_OK);
    CHECK(st.head.next_seq == head_before.next_seq && memcmp(st.head.hash, head_before.hash, 32) == 0);
    EXPECT(lotledger_flash_append(&fl, &stamp, &rec, &r), LOTLEDGER_OK);
    CHECK(r.seq == head_before.next_seq);

    /* Another ledger's id. */
    EXPECT(lotledger_flash_open(&fl, d, 0, PAGES, OTHER, scratch, sizeof scratch), LOTLEDGER_ERR_FLASH_WRONG_LEDGER);

    /* Full: every page holds unconfirmed entries. */
    EXPECT(lotledger_flash_open(&fl, d, 0, PAGES, LEDGER, scratch, sizeof scratch), LOTLEDGER_OK);
    LotledgerStatus s;
    int n = 0;
    while ((s = lotledger_flash_append(&fl, &stamp, &rec, &r)) == LOTLEDGER_OK && n < 10000) n++;
    EXPECT(s, LOTLEDGER_ERR_FLASH_FULL);
    CHECK(n > 10);

    /* Corruption that power loss cannot explain: a flipped bit inside an
     * unconfirmed entry is refused, not skipped. */
    EXPECT(lotledger_flash_state(&fl, &st), LOTLEDGER_OK);
    int flipped = 0;
    for (size_t page = 0; page < PAGES && !flipped; page++) {
        /* Flip a programmed byte in the middle of a page that holds entries. */
        uint8_t *p = nor.mem + page * LOTLEDGER_FLASH_PAGE_SIZE + LOTLEDGER_FLASH_PAGE_SIZE / 2;
        if (*p != 0xFF) {
            *p ^= 0x01;
            flipped = 1;
        }
    }
    CHECK(flipped);
    s = lotledger_flash_open(&fl, d, 0, PAGES, LEDGER, scratch, sizeof scratch);
    CHECK(s == LOTLEDGER_ERR_FLASH_CORRUPTED || s == LOTLEDGER_ERR_FLASH_MISSING);

    /* Not open, null. */
    EXPECT(lotledger_flash_close(&fl), LOTLEDGER_OK);
    EXPECT(lotledger_flash_append(&fl, &stamp, &rec, &r), LOTLEDGER_ERR_NOT_OPEN);
    EXPECT(lotledger_flash_state(NULL, &st), LOTLEDGER_ERR_NULL);
}

static void gs1(void) {
    LotledgerScan scan;
    const char *ok = "(01)09506000134352(17)261231(10)ABC123";
    EXPECT(lotledger_gs1_parse((const uint8_t *)ok, strlen(ok), &scan), LOTLEDGER_OK);
    CHECK(strcmp((const char *)scan.gtin, "09506000134352") == 0);
    CHECK(strcmp((const char *)scan.item, "gtin:09506000134352") == 0);
    CHECK(strcmp((const char *)scan.batch, "ABC123") == 0);
    CHECK(scan.serial[0] == 0 && scan.has_expiry == 1 && scan.expiry_yy == 26 && scan.expiry_month == 12);
    const char *bad = "(01)09506000134353(10)ABC123"; /* wrong check digit */
    EXPECT(lotledger_gs1_parse((const uint8_t *)bad, strlen(bad), &scan), LOTLEDGER_ERR_GS1);
    EXPECT(lotledger_gs1_parse(NULL, 4, &scan), LOTLEDGER_ERR_NULL);
}

#ifdef LOTLEDGER_STD
static void std_surface(const char *dir) {
    uint8_t mem[512], scratch[512];
    LotledgerWriter w;
    LotledgerReceipt r;
    EXPECT(lotledger_writer_open_buffer(&w, mem, sizeof mem, 0, LEDGER, scratch, sizeof scratch, NULL), LOTLEDGER_OK);
    const char *json = "{\"time\": 0, \"actor\": \"a\", \"station\": \"b\", \"record\": {\"shipped\": {\"lot\": "
                       "{\"item\": {\"internal\": \"X\"}, \"lot\": \"L\"}, \"quantity\": \"12 parsecs\", "
                       "\"customer\": {\"internal\": \"C\"}, \"order\": \"O\"}}}";
    EXPECT(lotledger_writer_append_json(&w, (const uint8_t *)json, strlen(json), &r), LOTLEDGER_ERR_BAD_JSON);
    CHECK(strstr(lotledger_last_error(), "record.shipped.quantity") != NULL);
    EXPECT(lotledger_writer_append_json(&w, (const uint8_t *)"{", 1, &r), LOTLEDGER_ERR_BAD_JSON);

    LotledgerFile *file = NULL;
    EXPECT(lotledger_file_open("/nonexistent/lotledger-dir", NULL, &file), LOTLEDGER_ERR_FILE);
    CHECK(strstr(lotledger_last_error(), "/nonexistent/lotledger-dir") != NULL);
    LotledgerDurability bad_mode = {7, 0, 0};
    EXPECT(lotledger_file_create(dir, LEDGER, &bad_mode, &file), LOTLEDGER_ERR_ARGUMENT);
    LotledgerDurability group = {LOTLEDGER_DURABILITY_GROUP_COMMIT, 0, 0};
    EXPECT(lotledger_file_create(dir, LEDGER, &group, &file), LOTLEDGER_ERR_FILE);
    LotledgerDurability each = {LOTLEDGER_DURABILITY_SYNC_EACH, 0, 0};
    EXPECT(lotledger_file_create(dir, LEDGER, &each, &file), LOTLEDGER_OK);
    LotledgerRecord rec = good();
    EXPECT(lotledger_file_append(file, &stamp, &rec, &r), LOTLEDGER_OK);
    LotledgerFile *second = NULL;
    EXPECT(lotledger_file_open(dir, NULL, &second), LOTLEDGER_ERR_FILE); /* locked */
    EXPECT(lotledger_file_close(file), LOTLEDGER_OK);

    LotledgerLot unknown = {"NOPE", "L0"};
    char *out = NULL;
    EXPECT(lotledger_trace_forward(dir, &unknown, &out), LOTLEDGER_ERR_QUERY);
    CHECK(out == NULL);
    EXPECT(lotledger_recall(dir, &unknown, 0, &out), LOTLEDGER_ERR_ARGUMENT);
    LotledgerLot lot = {"FG-PATCH-10", "B260417"};
    EXPECT(lotledger_recall(dir, &lot, 1, &out), LOTLEDGER_OK);
    CHECK(out != NULL && strstr(out, "B260417") != NULL);
    lotledger_string_free(out);
    lotledger_string_free(NULL);
}
#endif

int main(int argc, char **argv) {
    status_messages();
    buffer_writer();
    verify_errors();
    callback_writer();
    flash();
    gs1();
#ifdef LOTLEDGER_STD
    if (argc < 2) {
        fprintf(stderr, "usage: %s EMPTY-DIR\n", argv[0]);
        return 2;
    }
    std_surface(argv[1]);
#else
    (void)argc;
    (void)argv;
#endif
    if (failures) {
        fprintf(stderr, "%d checks failed\n", failures);
        return 1;
    }
    printf("all error paths checked\n");
    return 0;
}
