# zoo: `make demo` runs the main job on built-in data, `make test` runs the test suite.
# Both first install the system libraries zoo links (Debian packages) when they are missing.

SWIFT ?= swift
APT_PACKAGES := libopenblas-dev libhdf5-dev libjpeg-dev libzstd-dev pkg-config
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

# The main job on built-in data: synthetic faces whose training subjects carry an identity shortcut,
# AU fine-tuning with and without identity adversarial training, then FMAE's identity probe of both.
# The small ViT starts from random weights, so the new heads get timm's init (not FMAE's 2e-5, which
# assumes a pretrained encoder) and IAT's identity head a 50x learning rate with softmax CE, without which
# a random encoder simply outruns it (README, "The demo").
DEMO ?= runs/demo
ZOO = .build/$(CONFIG)/zoo
DEMO_TRAIN = --model vit-tiny-patch8-64 --train $(DEMO)/data/train.jsonl --test $(DEMO)/data/test.jsonl \
	--epochs 20 --batch-size 32 --blr 1e-2 --layer-decay 1 --warmup-epochs 2 --drop-path 0 --save-every 20

demo: build
	rm -rf $(DEMO)
	$(ZOO) data synth --out $(DEMO)/data --subjects 32 --frames 60 --size 64 --identity-bias 0.9 --jitter 0.25 --seed 1
	$(ZOO) run au $(DEMO_TRAIN) --out $(DEMO)/au
	$(ZOO) run iat $(DEMO_TRAIN) --lambda 1 --id-loss ce --id-lr-scale 50 --out $(DEMO)/iat
	$(ZOO) run id-probe --run $(DEMO)/au --data $(DEMO)/data/train.jsonl --out $(DEMO)/au/id-probe
	$(ZOO) run id-probe --run $(DEMO)/iat --data $(DEMO)/data/train.jsonl --out $(DEMO)/iat/id-probe
	@echo
	@echo "AU detection on unseen test subjects and identity left in the features (lower is better for IAT):"
	$(ZOO) compare $(DEMO)/au $(DEMO)/iat

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
FUZZ_TARGETS := FuzzSafeTensors FuzzTorchZip FuzzTorchLegacy FuzzZipArchive FuzzSpec FuzzLabels FuzzJPEG FuzzPPM FuzzShards
# Seeds per target: files under Tests/*/Fixtures (globs).
SEEDS_FuzzSafeTensors := Tests/*/Fixtures/*.safetensors
SEEDS_FuzzTorchZip := Tests/CheckpointTests/Fixtures/*_zip.pth Tests/CheckpointTests/Fixtures/views.pth Tests/CheckpointTests/Fixtures/*_module.pth
SEEDS_FuzzTorchLegacy := Tests/CheckpointTests/Fixtures/*_legacy.pth
SEEDS_FuzzZipArchive := Tests/CheckpointTests/Fixtures/zip64.pth Tests/CheckpointTests/Fixtures/mae_zip.pth Tests/CheckpointTests/Fixtures/missing_record.pth
SEEDS_FuzzSpec := Tests/ZooTests/Fixtures/*.json Tests/ZooTests/Fixtures/fuzz/*.json zoo.json
SEEDS_FuzzLabels := Fuzz/Seeds/labels/*.jsonl
SEEDS_FuzzJPEG := Tests/ImagesTests/Fixtures/*.jpg
SEEDS_FuzzPPM := Tests/ImagesTests/Fixtures/*.ppm Tests/DataTests/Fixtures/*.ppm
SEEDS_FuzzShards := Tests/DataTests/Fixtures/*.shard

.PHONY: fuzz fuzz-ci fuzz-build

# SwiftPM keeps its build plan for the path dependency (the main package) while Fuzz/Package.swift is
# unchanged, so a source file added to a zoo target would be missing from the fuzz build ("cannot find
# type"); removing the plan makes it list the sources again (objects are kept, the rebuild is incremental).
fuzz-build: deps
	rm -f $(FUZZ_BUILD)/release.yaml $(FUZZ_BUILD)/release/description.json
	cd Fuzz && $(SWIFT) build -c release -Xswiftc -sanitize=fuzzer --scratch-path ../$(FUZZ_BUILD)

# One target after another, one process each (the machine is small); stops at the first crash.
# SWIFT_BACKTRACE=enable=no leaves the crash signal to libFuzzer, which then writes the input. The fuzzer
# runs in this process (no -jobs/-workers, which would fork a child that logs to ./fuzz-N.log in the
# tree), so its status lines and the crash report reach the terminal.
fuzz-run-%: fuzz-build
	@mkdir -p $(FUZZ_BUILD)/corpus/$* $(FUZZ_BUILD)/crashes/$*
	@for f in $(wildcard $(SEEDS_$*)); do [ -f "$$f" ] && cp "$$f" $(FUZZ_BUILD)/corpus/$*/; done; true
	SWIFT_BACKTRACE=enable=no $(FUZZ_BIN)/$* $(FUZZ_BUILD)/corpus/$* -max_total_time=$(SECONDS_EACH) \
	  -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
	  -artifact_prefix=$(FUZZ_BUILD)/crashes/$*/

fuzz: fuzz-build
	@for t in $(FUZZ_TARGETS); do $(MAKE) --no-print-directory fuzz-run-$$t SECONDS_EACH=$(FUZZ_SECONDS) || exit 1; done

fuzz-ci: fuzz-build
	@for t in $(FUZZ_TARGETS); do $(MAKE) --no-print-directory fuzz-run-$$t SECONDS_EACH=$(FUZZ_CI_SECONDS) || exit 1; done
