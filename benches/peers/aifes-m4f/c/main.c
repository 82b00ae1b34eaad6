/* AIfES 2.2's side of the comparison (see ../README.md), the counterpart of
   ../src/main.rs: the 4-8-3 network dense -> tanh -> dense -> softmax with
   cross-entropy, plain SGD with learning rate 0.05, one example per step, from the
   common initial parameters over the common 120 rows (data.h, which `cargo xtask peers`
   writes from ../src/data.rs).

   Output, in the format of the Rust side: `loss aifes I BITS` for each of the 120 steps
   and `param aifes K BITS` for the 67 parameters after them (float bits in
   hexadecimal); `# step_aifes N` (instructions per step, the mean over the 120 rows
   from the common start), `# stack_step_aifes BYTES`, `# ram_...`; `ok` at the end. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "aifes.h"
#include "data.h"

/* ---- Instructions: SysTick on the processor clock under `qemu -icount shift=0`,
   widened past 24 bits by its wrap interrupt (startup.c), calibrated on a loop of
   2^20 instructions: the same counter as the Rust side's board. */
#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)
#define SYST_RELOAD 0x00FFFFFFu

extern volatile uint32_t systick_wraps;
static uint64_t ticks_per_2_20;

static void counter_start(void) {
  SYST_RVR = SYST_RELOAD;
  SYST_CVR = 0;
  SYST_CSR = 7u; /* processor clock, interrupt, enabled */
}

static uint64_t counter(void) {
  for (;;) {
    uint32_t before = systick_wraps;
    uint32_t now = SYST_CVR;
    if (before == systick_wraps) {
      uint64_t wrapped = (uint64_t)before * (SYST_RELOAD + 1ull);
      /* The interrupt fires as the counter reaches 0, a tick before the reload. */
      if (now == 0) return wrapped ? wrapped - 1 : 0;
      return wrapped + (SYST_RELOAD - now);
    }
  }
}

static void calibrate(void) {
  uint32_t n = 1u << 19; /* two instructions per turn */
  uint64_t t0 = counter();
  __asm volatile("1: subs %0, #1\n\tbne 1b" : "+r"(n) : : "cc");
  ticks_per_2_20 = counter() - t0;
}

static uint64_t instructions(uint64_t ticks) { return (ticks << 20) / ticks_per_2_20; }

/* ---- The model. */
static uint16_t input_shape[] = {1, 4};
static ailayer_input_f32_t input_layer = AILAYER_INPUT_F32_A(2, input_shape);
static ailayer_dense_f32_t dense_1 = AILAYER_DENSE_F32_A(8);
static ailayer_tanh_f32_t tanh_1 = AILAYER_TANH_F32_A();
static ailayer_dense_f32_t dense_2 = AILAYER_DENSE_F32_A(3);
static ailayer_softmax_f32_t softmax_2 = AILAYER_SOFTMAX_F32_A();
static ailoss_crossentropy_f32_t cross_entropy;
static aimodel_t model;
static aiopti_sgd_f32_t sgd = AIOPTI_SGD_F32(0.05f);
static aiopti_t *optimizer;

/* AIfES asks for its parameter and training memory at run time; these are checked
   against what it asks. */
static uint32_t parameter_memory[128];
static uint32_t training_memory[512];
static uint32_t parameter_bytes, training_bytes;

static uint16_t row_shape[] = {1, 4};
static uint16_t target_shape[] = {1, 3};

static void reset(void) {
  memcpy(dense_1.weights.data, W1_INIT, sizeof W1_INIT);
  memcpy(dense_1.bias.data, B1_INIT, sizeof B1_INIT);
  memcpy(dense_2.weights.data, W2_INIT, sizeof W2_INIT);
  memcpy(dense_2.bias.data, B2_INIT, sizeof B2_INIT);
}

/* One step on row i, what aialgo_train_model does for a batch of one, and the loss
   (which stackgrad's step returns too). */
__attribute__((noinline)) static float step(int i) {
  aitensor_t x = AITENSOR_2D_F32(row_shape, (float *)X_ROWS[i % N_ROWS]);
  aitensor_t y = AITENSOR_2D_F32(target_shape, (float *)Y_ROWS[i % N_ROWS]);
  float loss;
  aialgo_zero_gradients_model(&model, optimizer);
  aialgo_forward_model(&model, &x);
  model.loss->calc_loss(model.loss, &y, &loss);
  aialgo_backward_model(&model, &y);
  aialgo_update_params_model(&model, optimizer);
  return loss;
}

static void print_bits(const char *what, int i, float v) {
  uint32_t b;
  memcpy(&b, &v, sizeof b);
  printf("%s aifes %d 0x%08lx\n", what, i, (unsigned long)b);
}

static int setup(void) {
  ailayer_t *x;
  model.input_layer = ailayer_input_f32_default(&input_layer);
  x = ailayer_dense_f32_default(&dense_1, model.input_layer);
  x = ailayer_tanh_f32_default(&tanh_1, x);
  x = ailayer_dense_f32_default(&dense_2, x);
  x = ailayer_softmax_f32_default(&softmax_2, x);
  model.output_layer = x;
  model.loss = ailoss_crossentropy_f32_default(&cross_entropy, model.output_layer);
  aialgo_compile_model(&model);
  parameter_bytes = aialgo_sizeof_parameter_memory(&model);
  if (parameter_bytes > sizeof parameter_memory) return 0;
  aialgo_distribute_parameter_memory(&model, parameter_memory, parameter_bytes);
  optimizer = aiopti_sgd_f32_default(&sgd);
  training_bytes = aialgo_sizeof_training_memory(&model, optimizer);
  if (training_bytes > sizeof training_memory) return 0;
  aialgo_schedule_training_memory(&model, optimizer, training_memory, training_bytes);
  aialgo_init_model_for_training(&model, optimizer);
  aialgo_set_training_mode_model(&model, TRUE);
  aialgo_set_batch_mode_model(&model, TRUE);
  return 1;
}

/* Instructions per step: the mean over one pass of the rows from the common start,
   after one step to warm up and a reset. */
static uint64_t per_step(void) {
  reset();
  step(0);
  reset();
  uint64_t t0 = counter();
  for (int i = 0; i < N_ROWS; i++) step(i);
  return instructions(counter() - t0) / N_ROWS;
}

/* Stack bytes one step uses below this function's caller: paint 8 KiB below the stack
   pointer, take a step, find the lowest word that changed. */
#define PAINT 0x5EEDF00Du
__attribute__((noinline)) static uint32_t stack_of_step(void) {
  uint32_t sp;
  __asm volatile("mov %0, sp" : "=r"(sp));
  volatile uint32_t *low = (volatile uint32_t *)(sp - 8192u);
  volatile uint32_t *high = (volatile uint32_t *)(sp - 64u);
  for (volatile uint32_t *p = low; p < high; p++) *p = PAINT;
  reset();
  step(0);
  volatile uint32_t *p = low;
  while (p < high && *p == PAINT) p++;
  return sp - (uint32_t)p;
}

int main(void) {
  counter_start();
  calibrate();
  if (!setup()) {
    printf("FAIL: AIfES needs more memory than this program gives it\n");
    return 1;
  }

  reset();
  for (int i = 0; i < N_ROWS; i++) print_bits("loss", i, step(i));
  int k = 0;
  for (int i = 0; i < 32; i++) print_bits("param", k++, ((float *)dense_1.weights.data)[i]);
  for (int i = 0; i < 8; i++) print_bits("param", k++, ((float *)dense_1.bias.data)[i]);
  for (int i = 0; i < 24; i++) print_bits("param", k++, ((float *)dense_2.weights.data)[i]);
  for (int i = 0; i < 3; i++) print_bits("param", k++, ((float *)dense_2.bias.data)[i]);

  printf("# step_aifes %lu\n", (unsigned long)per_step());
  printf("# stack_step_aifes %lu\n", (unsigned long)stack_of_step());
  unsigned long descriptors = sizeof model + sizeof input_layer + sizeof dense_1 +
                              sizeof tanh_1 + sizeof dense_2 + sizeof softmax_2 +
                              sizeof cross_entropy;
  printf("# ram_params %lu\n", (unsigned long)parameter_bytes);
  printf("# ram_training %lu\n", (unsigned long)training_bytes);
  printf("# ram_sgd %lu\n", (unsigned long)sizeof sgd);
  printf("# ram_descriptors %lu\n", descriptors);
  printf("# ticks_per_2^20_instructions %lu\n", (unsigned long)ticks_per_2_20);
  printf("ok\n");
  return 0;
}
