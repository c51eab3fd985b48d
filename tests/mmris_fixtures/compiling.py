"""A ``torch.compile`` backend that shows what dynamo traced."""
from typing import Callable, List, Tuple

import torch


def recording_backend() -> Tuple[Callable, List[torch.fx.GraphModule]]:
    """``(backend, graphs)``: a ``torch.compile`` backend that appends each
    FX graph dynamo gives it to ``graphs`` and runs the graph as it is.
    Dynamo's caches are reset first, so what is compiled with it traces
    anew."""
    graphs = []

    def record(graph_module, example_inputs):
        graphs.append(graph_module)
        return graph_module.forward

    torch._dynamo.reset()
    return record, graphs
