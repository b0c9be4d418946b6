# zoo: `make demo` runs the main job on built-in data, `make test` runs the test suite.
# Both first install the system libraries zoo links (Debian packages) when they are missing.

SWIFT ?= swift
APT_PACKAGES := libopenblas-dev libhdf5-dev libjpeg-dev libpng-dev libzstd-dev libssl-dev libcurl4 libopenmpi-dev openmpi-bin pkg-config
# Numeric code is only meaningful optimised: tests and the demo run release builds.
CONFIG ?= release

.PHONY: all deps build test demo bench clean

all: build

deps:
	@missing=""; \
	for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else echo "zoo needs system packages:$$missing"; echo "install them with: sudo apt-get install -y$$missing"; exit 1; fi; \
	fi

build: deps
	$(SWIFT) build -c $(CONFIG) --product zoo

# The CLI tests run the zoo executable, so it is built first.
test: deps
	$(SWIFT) build -c $(CONFIG) --product zoo
	$(SWIFT) test -c $(CONFIG) --disable-swift-testing

# The main job on built-in data, FMAE's pipeline in miniature (README, "The demo"):
#  1. synthetic faces: an unlabelled pool of 150 subjects for pretraining, and 48 labelled subjects
#     (36 train with an identity shortcut, 12 unseen test subjects without);
#  2. MAE pretraining of a small ViT on the pool;
#  3. AU fine-tuning from that encoder with and without identity adversarial training (`au`, `iat`),
#     the same fine-tuning from random weights (`au-scratch`) and a linear classifier on raw pixels
#     (`pixels`), all through `zoo run au|iat` with the same data, loss and metrics;
#  4. FMAE's identity probe of `au` and `iat`, the comparison table and an HTML report.
DEMO ?= runs/demo
ZOO = .build/$(CONFIG)/zoo
DEMO_DATA = --train $(DEMO)/data/train.jsonl --test $(DEMO)/data/test.jsonl
# On a 2-core machine every run trains two copies of its small model, one per core (--replicas: 10-20 % faster
# than splitting each op over both cores, the same weights to float rounding); elsewhere one copy, whose ops
# use every core.
DEMO_REPLICAS ?= $(shell [ "$$(nproc)" = 2 ] && echo 2 || echo 1)
DEMO_FINETUNE = $(DEMO_DATA) --epochs 20 --batch-size 32 --warmup-epochs 2 --drop-path 0 --save-every 20 --eval-every 5 \
	--replicas $(DEMO_REPLICAS)
# From the pretrained encoder: FMAE's recipe with layer decay 0.75 for 4 blocks and the lr scaled to the small
# model; the head starts at timm's 0.02, not FMAE's 2e-5, which kept the small encoder at chance (README).
# Learning rates: each run's best validation-subject AUC (val_mean_auc) in a sweep on this data (README), never
# the test subjects': pretrained blr 5e-3 with layer decay 0.75, from scratch 5e-3, pixels 8e-2.
DEMO_PRETRAINED = --model vit-tiny-patch16-64 --weights $(DEMO)/pretrain/checkpoint/weights.safetensors --blr 5e-3 \
	--layer-decay 0.75 --head-init-std 0.02
# IAT: FMAE's BCE identity head at 10x the encoder's learning rate; the encoder pushes it towards 1/K for every
# subject (confusion) rather than climbing its loss through gradient reversal, which raised identity (README).
DEMO_IAT = --id-objective confuse --lambda 1 --id-loss bce --id-lr-scale 10

demo: build
	rm -rf $(DEMO)
	$(ZOO) data synth --out $(DEMO)/pool --subjects 150 --frames 40 --size 64 --identity-bias 0 --jitter 1 --seed 101 --test-fraction 0.01
	$(ZOO) data synth --out $(DEMO)/data --subjects 48 --frames 50 --size 64 --identity-bias 0.5 --jitter 0.25 --seed 1
	$(ZOO) run pretrain --model mae-vit-tiny-patch16-64 --data $(DEMO)/pool/images --epochs 20 --warmup-epochs 2 \
	  --batch-size 64 --blr 1.5e-3 --save-every 20 --replicas $(DEMO_REPLICAS) --out $(DEMO)/pretrain
	$(ZOO) run reconstruct --run $(DEMO)/pretrain --data $(DEMO)/data/images/F001_T1 --count 6 --output $(DEMO)/pretrain/reconstruction.jpg
	$(ZOO) run au $(DEMO_FINETUNE) $(DEMO_PRETRAINED) --out $(DEMO)/au
	$(ZOO) run iat $(DEMO_FINETUNE) $(DEMO_PRETRAINED) $(DEMO_IAT) --out $(DEMO)/iat
	$(ZOO) run au $(DEMO_FINETUNE) --model vit-tiny-patch16-64 --blr 5e-3 --layer-decay 1 --out $(DEMO)/au-scratch
	$(ZOO) run au $(DEMO_FINETUNE) --model pixels-64 --blr 8e-2 --layer-decay 1 --out $(DEMO)/pixels
	$(ZOO) run id-probe --run $(DEMO)/au --data $(DEMO)/data/train.jsonl --out $(DEMO)/au/id-probe
	$(ZOO) run id-probe --run $(DEMO)/iat --data $(DEMO)/data/train.jsonl --out $(DEMO)/iat/id-probe
	@echo
	@echo "AU detection on the 12 unseen test subjects; identity left in the features (lower is better for IAT):"
	$(ZOO) compare $(DEMO)/au $(DEMO)/iat $(DEMO)/au-scratch $(DEMO)/pixels
	$(ZOO) compare --json $(DEMO)/au $(DEMO)/iat $(DEMO)/au-scratch $(DEMO)/pixels > $(DEMO)/compare.json
	$(ZOO) report $(DEMO)/pretrain $(DEMO)/au $(DEMO)/iat $(DEMO)/au-scratch $(DEMO)/pixels --title "zoo demo" --out $(DEMO)/report.html

bench: build
	.build/$(CONFIG)/zoo bench --model vit-base-patch16 --batch 8 --mode infer --steps 3
	.build/$(CONFIG)/zoo bench --model fmae-vit-base-au-iat --batch 8 --mode train --steps 3

clean:
	rm -rf .build

# Coverage-guided fuzzing (FUZZING.md): the libFuzzer targets of Fuzz/, a package of its own so that
# `build` and `test` never compile them. Seeds are the test fixtures, copied into a working corpus under
# .build-fuzz (libFuzzer adds what it finds there); crashes land in .build-fuzz/crashes/TARGET/.
FUZZ_SECONDS ?= 600
FUZZ_CI_SECONDS ?= 20
FUZZ_BUILD := .build-fuzz
FUZZ_BIN = $(FUZZ_BUILD)/release
FUZZ_TARGETS := FuzzSafeTensors FuzzTorchZip FuzzTorchLegacy FuzzZipArchive FuzzSpec FuzzLabels FuzzJPEG FuzzPNG FuzzPPM FuzzShards FuzzHDF5 FuzzKerasConfig FuzzDrivePage
# Seeds per target: files under Tests/*/Fixtures (globs).
SEEDS_FuzzSafeTensors := Tests/*/Fixtures/*.safetensors
SEEDS_FuzzTorchZip := Tests/CheckpointTests/Fixtures/*_zip.pth Tests/CheckpointTests/Fixtures/views.pth Tests/CheckpointTests/Fixtures/*_module.pth
SEEDS_FuzzTorchLegacy := Tests/CheckpointTests/Fixtures/*_legacy.pth
SEEDS_FuzzZipArchive := Tests/CheckpointTests/Fixtures/zip64.pth Tests/CheckpointTests/Fixtures/mae_zip.pth Tests/CheckpointTests/Fixtures/missing_record.pth
SEEDS_FuzzSpec := Tests/ZooTests/Fixtures/*.json Tests/ZooTests/Fixtures/fuzz/*.json zoo.json
SEEDS_FuzzLabels := Fuzz/Seeds/labels/*.jsonl
SEEDS_FuzzJPEG := Tests/ImagesTests/Fixtures/*.jpg
SEEDS_FuzzPNG := Tests/ImagesTests/Fixtures/*.png
SEEDS_FuzzPPM := Tests/ImagesTests/Fixtures/*.ppm Tests/DataTests/Fixtures/*.ppm
SEEDS_FuzzShards := Tests/DataTests/Fixtures/*.shard
SEEDS_FuzzHDF5 := Tests/CheckpointTests/Fixtures/*.h5
SEEDS_FuzzKerasConfig := Fuzz/Seeds/keras/*.json
SEEDS_FuzzDrivePage := Fuzz/Seeds/drive/*.html

.PHONY: fuzz fuzz-ci fuzz-build

# FuzzHDF5 reads through a child `zoo` process (HDF5Isolation): the release zoo is built first.
# SwiftPM keeps its build plan for the path dependency (the main package) while Fuzz/Package.swift is
# unchanged, so a source file added to a zoo target would be missing from the fuzz build ("cannot find
# type"); removing the plan makes it list the sources again (objects are kept, the rebuild is incremental).
fuzz-build: build
	rm -f $(FUZZ_BUILD)/release.yaml $(FUZZ_BUILD)/release/description.json
	cd Fuzz && $(SWIFT) build -c release -Xswiftc -sanitize=fuzzer --scratch-path ../$(FUZZ_BUILD)

# One target after another, one process each (the machine is small); stops at the first crash.
# SWIFT_BACKTRACE=enable=no leaves the crash signal to libFuzzer, which then writes the input. The fuzzer
# runs in this process (no -jobs/-workers, which would fork a child that logs to ./fuzz-N.log in the
# tree), so its status lines and the crash report reach the terminal.
fuzz-run-%: fuzz-build
	@mkdir -p $(FUZZ_BUILD)/corpus/$* $(FUZZ_BUILD)/crashes/$*
	@for f in $(wildcard $(SEEDS_$*)); do [ -f "$$f" ] && cp "$$f" $(FUZZ_BUILD)/corpus/$*/; done; true
	SWIFT_BACKTRACE=enable=no ZOO_EXECUTABLE=$(CURDIR)/.build/$(CONFIG)/zoo $(FUZZ_BIN)/$* $(FUZZ_BUILD)/corpus/$* -max_total_time=$(SECONDS_EACH) \
	  -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
	  -artifact_prefix=$(FUZZ_BUILD)/crashes/$*/

fuzz: fuzz-build
	@for t in $(FUZZ_TARGETS); do $(MAKE) --no-print-directory fuzz-run-$$t SECONDS_EACH=$(FUZZ_SECONDS) || exit 1; done

fuzz-ci: fuzz-build
	@for t in $(FUZZ_TARGETS); do $(MAKE) --no-print-directory fuzz-run-$$t SECONDS_EACH=$(FUZZ_CI_SECONDS) || exit 1; done
