"""dynamic_kernel_logits: each image's map convolved with its texts' kernels,
as the reference computes it with one grouped convolution."""
import torch
import torch.nn.functional as F

from mmris.models.decode_heads.dynamic_kernels import dynamic_kernel_logits


def _grouped(x, params, kernel_size):
    # The reference's formulation: the batch folded into the channels, one
    # group per image.
    b, c, h, w = x.shape
    num_texts = params.shape[1]
    weight = params[..., :-1].reshape(b * num_texts, c, kernel_size, kernel_size)
    logits = F.conv2d(x.reshape(1, b * c, h, w), weight, params[..., -1].reshape(-1),
                      padding=kernel_size // 2, groups=b)
    return logits.reshape(b, num_texts, h, w)


def test_logits_and_gradients_equal_the_grouped_convolution():
    torch.manual_seed(0)
    x = torch.randn(3, 5, 6, 7, requires_grad=True)
    params = torch.randn(3, 2, 5 * 9 + 1, requires_grad=True)
    logits = dynamic_kernel_logits(x, params, 3)
    expected = _grouped(x, params, 3)
    assert logits.shape == (3, 2, 6, 7)
    torch.testing.assert_close(logits, expected)
    upstream = torch.randn_like(logits)
    grads = torch.autograd.grad(logits, (x, params), upstream)
    expected_grads = torch.autograd.grad(expected, (x, params), upstream)
    for grad, expected_grad in zip(grads, expected_grads, strict=True):
        torch.testing.assert_close(grad, expected_grad)


def test_one_pixel_by_hand_and_one_text_per_image():
    # Image 1, pixel (2, 3): the 3x3 window around it times the kernel, over
    # the channels, plus the bias; (B, C * k * k + 1) params give (B, 1, h, w).
    torch.manual_seed(1)
    x = torch.randn(2, 4, 5, 6)
    params = torch.randn(2, 4 * 9 + 1)
    logits = dynamic_kernel_logits(x, params, 3)
    assert logits.shape == (2, 1, 5, 6)
    kernel, bias = params[1, :-1].reshape(4, 3, 3), params[1, -1]
    by_hand = (x[1, :, 1:4, 2:5] * kernel).sum() + bias
    torch.testing.assert_close(logits[1, 0, 2, 3], by_hand)
