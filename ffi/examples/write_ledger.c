/* Writes a small ledger through the C ABI: the four record kinds built from
 * C structs, and one entry in the JSON form of docs/JSON.md. Then verifies it
 * and traces the received lot forward.
 *
 * Build (from the repository root, after `cargo build -p lotledger-ffi --release`):
 *   gcc -std=c11 -Wall -Wextra -DLOTLEDGER_STD -I ffi/include ffi/examples/write_ledger.c \
 *       target/release/liblotledger_ffi.a -lpthread -ldl -lm -o write_ledger
 * Run:   ./write_ledger /tmp/line-ledger
 * Check: lotledger verify /tmp/line-ledger
 *
 * It prints one line per entry: "entry SEQ HASH". */
#include <stdio.h>
#include <string.h>

#include "lotledger.h"

static int check(LotledgerStatus status, const char *what) {
    if (status == LOTLEDGER_OK) {
        return 0;
    }
    fprintf(stderr, "%s: %s", what, lotledger_status_message(status));
    const char *detail = lotledger_last_error();
    if (detail[0] != '\0') {
        fprintf(stderr, " (%s)", detail);
    }
    fprintf(stderr, "\n");
    return 1;
}

static void print_receipt(const LotledgerReceipt *r) {
    printf("entry %llu ", (unsigned long long)r->seq);
    for (size_t i = 0; i < sizeof r->hash; i++) {
        printf("%02x", r->hash[i]);
    }
    printf("\n");
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    const uint8_t ledger_id[16] = {0x4c, 0x49, 0x4e, 0x45, 0x2d, 0x32, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    LotledgerDurability durability = {LOTLEDGER_DURABILITY_SYNC_EACH, 0, 0};
    LotledgerFile *ledger = NULL;
    if (check(lotledger_file_create(argv[1], ledger_id, &durability, &ledger), "create")) {
        return 1;
    }

    LotledgerStamp stamp = {1772438400000LL, "k.huber", "WH-DOCK-1"};
    LotledgerReceipt receipt;

    LotledgerMaterialReceived received = {
        .lot = {"RM-ESTRADIOL", "R260003"},
        .quantity = "450 GRM",
        .supplier = "gln:5412345000662",
        .supplier_lot = "LT15619",
        .order = NULL,
    };
    LotledgerRecord record = {LOTLEDGER_KIND_MATERIAL_RECEIVED, &received};
    if (check(lotledger_file_append(ledger, &stamp, &record, &receipt), "material received")) {
        return 1;
    }
    print_receipt(&receipt);

    LotledgerDispositionSet released = {{"RM-ESTRADIOL", "R260003"}, LOTLEDGER_DISPOSITION_RELEASED, NULL};
    stamp = (LotledgerStamp){1772442000000LL, "s.okafor", "QA-OFFICE"};
    record = (LotledgerRecord){LOTLEDGER_KIND_DISPOSITION_SET, &released};
    if (check(lotledger_file_append(ledger, &stamp, &record, &receipt), "disposition")) {
        return 1;
    }
    print_receipt(&receipt);

    LotledgerLotQuantity inputs[] = {{{"RM-ESTRADIOL", "R260003"}, "225 GRM"}};
    LotledgerLotQuantity outputs[] = {{{"gtin:09506000134680", "B260001"}, "768 H87"}};
    LotledgerProduced produced = {
        .work_order = "WO0000001",
        .line = "LINE-1",
        .produced_on = {2026, 3, 2},
        .expiry = {2028, 2, 29},
        .inputs = inputs,
        .input_count = 1,
        .outputs = outputs,
        .output_count = 1,
    };
    stamp = (LotledgerStamp){1772449200000LL, "p.rossi", "LINE-1-MIX"};
    record = (LotledgerRecord){LOTLEDGER_KIND_PRODUCED, &produced};
    if (check(lotledger_file_append(ledger, &stamp, &record, &receipt), "produced")) {
        return 1;
    }
    print_receipt(&receipt);

    LotledgerShipped shipped = {
        .lot = {"gtin:09506000134680", "B260001"},
        .quantity = "252 H87",
        .customer = "C10140",
        .ship_to = "C10140-3",
        .order = "SO0000001",
    };
    stamp = (LotledgerStamp){1772456400000LL, "r.fischer", "SHIP-1"};
    record = (LotledgerRecord){LOTLEDGER_KIND_SHIPPED, &shipped};
    if (check(lotledger_file_append(ledger, &stamp, &record, &receipt), "shipped")) {
        return 1;
    }
    print_receipt(&receipt);

    const char *json = "{\"time\": \"2026-03-03T08:00:00Z\", \"actor\": \"n.sato\", \"station\": \"CS-DESK\", "
                       "\"record\": {\"delivered\": {\"order\": \"SO0000001\", \"customer\": {\"internal\": \"C10140\"}}}}";
    if (check(lotledger_file_append_json(ledger, (const uint8_t *)json, strlen(json), &receipt), "delivered (JSON)")) {
        return 1;
    }
    print_receipt(&receipt);

    if (check(lotledger_file_close(ledger), "close")) {
        return 1;
    }

    LotledgerReport report;
    if (check(lotledger_file_verify(argv[1], &report), "verify")) {
        return 1;
    }
    fprintf(stderr, "verified %llu entries\n", (unsigned long long)report.entries);

    LotledgerLot lot = {"RM-ESTRADIOL", "R260003"};
    char *trace = NULL;
    if (check(lotledger_trace_forward(argv[1], &lot, &trace), "trace")) {
        return 1;
    }
    fprintf(stderr, "forward trace: %s\n", trace);
    lotledger_string_free(trace);
    return 0;
}
