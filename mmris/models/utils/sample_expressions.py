"""The expressions that data samples carry, for models that read them."""
from typing import List, Sequence


def sample_expressions(data_samples: Sequence, consumer: str, packer: str) -> List[str]:
    """The ``metainfo['text']`` of each data sample.

    Args:
        data_samples: mmseg or mmdet data samples.
        consumer (str): The model's class name, for the error.
        packer (str): The transform that packs the text, for the error.

    Raises:
        ValueError: no samples, or one without a text.
    """
    texts = [sample.metainfo.get('text') for sample in data_samples or []]
    if not texts or any(text is None for text in texts):
        raise ValueError(f"{consumer} needs each data sample to carry its expression as "
                         f"metainfo['text'] ({packer} packs it)")
    return texts
