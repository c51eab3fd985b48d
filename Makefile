# The project's entry points; each sets up .venv first (once) with tools/setup_env.sh.
#   make demo      generate the synthetic referring set, train a small ETRIS, evaluate it
#   make demo-seg  the semantic-segmentation variant on generated shapes
#   make demo-det  the detection variant: a small ETRIS FCOS on a generated COCO-format set
#   make demo-gres generalized referring (gRefCOCO variant): with / without the no-target head
#   make test      run the test suite (tests/ and the projects' tests, setup.cfg testpaths) in
#                  TEST_WORKERS processes (pytest-xdist; a file's tests stay in one, in order)
#                  of TEST_THREADS torch threads each; TEST_WORKERS=0 runs it in this process;
#                  PYTEST_ARGS=... adds pytest options (--durations=10, -k ...)
#   make lint      ruff (lint, import order) and codespell, configured in pyproject.toml
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
TEST_WORKERS ?= 2
TEST_THREADS ?= 1
READY := $(VENV)/.mmris-ready
DEMO_CONFIG := configs/demo/etris_tiny_synthetic_refcoco.py
DEMO_WORK_DIR := work_dirs/demo
SEG_DEMO_CONFIG := configs/demo/etris-seg_tiny_synthetic-shapes.py
SEG_DEMO_WORK_DIR := work_dirs/demo-seg
DET_DEMO_CONFIG := configs/demo/fcos_etris-tiny_simplefpn_synthetic-coco.py
DET_DEMO_WORK_DIR := work_dirs/demo-det
GRES_DEMO_CONFIGS := configs/demo/etris_tiny_synthetic_grefcoco_no-target-head.py

.PHONY: setup demo demo-seg demo-det demo-gres test lint
setup: $(READY)

$(READY): tools/setup_env.sh setup.py requirements/runtime.txt requirements/tests.txt \
		requirements/deploy.txt
	PYTHON=$(PYTHON) bash tools/setup_env.sh
	touch $@

demo: $(READY)
	$(PY) tools/dataset_converters/make_synthetic_refcoco.py --out data/synthetic_refcoco --overwrite
	$(PY) tools/train.py $(DEMO_CONFIG) --work-dir $(DEMO_WORK_DIR)
	$(PY) tools/analysis_tools/ris_baselines.py $(DEMO_CONFIG)
	$(PY) tools/test.py $(DEMO_CONFIG) $$(cat $(DEMO_WORK_DIR)/last_checkpoint) \
		--work-dir $(DEMO_WORK_DIR) --show-dir $(DEMO_WORK_DIR)/predictions

demo-seg: $(READY)
	$(PY) tools/dataset_converters/make_synthetic_shapes.py --out data/synthetic_shapes --overwrite
	$(PY) tools/train.py $(SEG_DEMO_CONFIG) --work-dir $(SEG_DEMO_WORK_DIR)
	$(PY) tools/analysis_tools/seg_baselines.py $(SEG_DEMO_CONFIG)
	$(PY) tools/test.py $(SEG_DEMO_CONFIG) $$(cat $(SEG_DEMO_WORK_DIR)/last_checkpoint) \
		--work-dir $(SEG_DEMO_WORK_DIR) --show-dir $(SEG_DEMO_WORK_DIR)/predictions

demo-det: $(READY)
	$(PY) tools/dataset_converters/make_synthetic_coco.py --out data/synthetic_coco --overwrite
	$(PY) tools/train.py $(DET_DEMO_CONFIG) --work-dir $(DET_DEMO_WORK_DIR)
	$(PY) tools/analysis_tools/det_baselines.py $(DET_DEMO_CONFIG)
	$(PY) tools/test.py $(DET_DEMO_CONFIG) $$(cat $(DET_DEMO_WORK_DIR)/last_checkpoint) \
		--work-dir $(DET_DEMO_WORK_DIR)

demo-gres: $(READY)
	$(PY) tools/dataset_converters/make_synthetic_refcoco.py --out data/synthetic_refcoco --grefcoco --overwrite
	$(PY) tools/analysis_tools/gres_demo.py $(GRES_DEMO_CONFIGS) --work-dir work_dirs/demo-gres

test: $(READY)
	OMP_NUM_THREADS=$(TEST_THREADS) $(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

lint: $(READY)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/codespell
