/* A minimal C firmware image for a Cortex-M4F line controller, linked with
 * the thumbv7em-none-eabihf static library: the same work as
 * embedded/src/main.rs (16 shipment entries appended to a RAM store through a
 * caller-owned scratch buffer, then verified against the writer's head), so
 * the two images' sizes compare the C ABI with the Rust API. No heap: the
 * image is linked without malloc (ffi/firmware/build.sh checks). */
#include <stdint.h>

#include "lotledger.h"

/* Keeps a value opaque to the optimiser, as core::hint::black_box does. */
#define OPAQUE(x) __asm__ volatile("" : "+r"(x))

static uint8_t store[4096];
static uint8_t scratch[256];
static LotledgerWriter writer;
volatile int verified;

int main(void) {
    static const uint8_t ledger[16] = {0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
                                       0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11};
    int64_t time = 1772438400000LL;
    const char *actor = "op.4711";
    OPAQUE(actor);
    LotledgerStamp stamp = {time, actor, "LINE-2"};
    LotledgerShipped shipped = {{"FG-PATCH-10", "B260417"}, "240 H87", "C10417", 0, "SO0000417"};
    LotledgerRecord record = {LOTLEDGER_KIND_SHIPPED, &shipped};
    if (lotledger_writer_open_buffer(&writer, store, sizeof store, 0, ledger, scratch, sizeof scratch, 0) != LOTLEDGER_OK) {
        for (;;) {}
    }
    for (int i = 0; i < 16; i++) {
        stamp.time_ms += 60000;
        if (lotledger_writer_append(&writer, &stamp, &record, 0) != LOTLEDGER_OK) {
            break;
        }
    }
    LotledgerHead head;
    uint64_t len = 0;
    lotledger_writer_head(&writer, &head, &len);
    verified = lotledger_verify(store, (size_t)len, ledger, 0, &head, 0, 0) == LOTLEDGER_OK;
    for (;;) {}
}

/* Startup: copy .data, zero .bss, run main. */
extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;

void Reset_Handler(void) {
    uint32_t *src = &_sidata;
    for (uint32_t *dst = &_sdata; dst < &_edata;) *dst++ = *src++;
    for (uint32_t *dst = &_sbss; dst < &_ebss;) *dst++ = 0;
    /* Enable the FPU (CP10, CP11): the library is built for the hard-float ABI. */
    *(volatile uint32_t *)0xE000ED88 |= 0xFu << 20;
    main();
}

void Default_Handler(void) {
    for (;;) {}
}

__attribute__((section(".isr_vector"), used)) void (*const vectors[16])(void) = {
    (void (*)(void))&_estack, Reset_Handler, Default_Handler, Default_Handler,
    Default_Handler, Default_Handler, Default_Handler, 0, 0, 0, 0,
    Default_Handler, Default_Handler, 0, Default_Handler, Default_Handler,
};
