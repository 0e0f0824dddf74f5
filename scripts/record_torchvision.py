"""Record torchvision's ResNet-18, ResNet-50 and DenseNet-121 as data for the tests: state_dict keys,
shapes and order, and each model's output (eval mode) on a fixed input with deterministic weights.

The app does not depend on torchvision; this script runs once, in a separate environment that has it:

    python3 -m venv /tmp/tv && /tmp/tv/bin/pip install torch==2.14.1 torchvision==0.29.1
    /tmp/tv/bin/python scripts/record_torchvision.py        # writes tests/data/torchvision.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
import torchvision  # noqa: E402

from tests.torchvision_ref import DATA, MODELS, example_input, weights  # noqa: E402


def main() -> None:
    out = {"torchvision": torchvision.__version__, "torch": torch.__version__, "models": {}}
    x = example_input()
    for name, builder in MODELS.items():
        model = getattr(torchvision.models, builder)(weights=None)
        layout = [(k, list(v.shape)) for k, v in model.state_dict().items()]
        model.load_state_dict(weights(layout), strict=True)
        with torch.no_grad():
            y = model.eval()(x)
        out["models"][name] = {"state_dict": layout, "output": [[round(float(v), 7) for v in row] for row in y]}
        print(name, len(layout), "tensors", tuple(y.shape))
    DATA.parent.mkdir(exist_ok=True)
    DATA.write_text(json.dumps(out, indent=0) + "\n", encoding="utf-8")
    print("wrote", DATA.relative_to(ROOT))


if __name__ == "__main__":
    main()
