"""PyTorch's learning-rate schedulers for Apple's MLX.

``mlx_lr_scheduler.<TorchName>(optimizer, ...)`` reproduces
``torch.optim.lr_scheduler.<TorchName>`` (torch 2.13) on an MLX optimizer: the
same names, signatures, defaults, step semantics and ``state_dict`` keys, and
the same learning rates bit for bit.
"""

from mlx_lr_scheduler.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from mlx_lr_scheduler.composition import ChainedScheduler, SequentialLR
from mlx_lr_scheduler.config import from_config, to_config
from mlx_lr_scheduler.constant_lr import ConstantLR
from mlx_lr_scheduler.cosine_annealing_lr import CosineAnnealingLR
from mlx_lr_scheduler.cosine_annealing_warm_restarts import CosineAnnealingWarmRestarts
from mlx_lr_scheduler.cyclic_lr import CyclicLR
from mlx_lr_scheduler.distributed import load_checkpoint_distributed, save_checkpoint_distributed
from mlx_lr_scheduler.exponential_lr import ExponentialLR
from mlx_lr_scheduler.inverse_sqrt_lr import InverseSqrtLR
from mlx_lr_scheduler.lambda_lr import LambdaLR, MultiplicativeLR
from mlx_lr_scheduler.linear_lr import LinearLR
from mlx_lr_scheduler.lr_finder import LRFindResult, lr_find
from mlx_lr_scheduler.multi_step_lr import MultiStepLR
from mlx_lr_scheduler.one_cycle_lr import OneCycleLR
from mlx_lr_scheduler.polynomial_lr import PolynomialLR
from mlx_lr_scheduler.preview import Preview, preview
from mlx_lr_scheduler.reduce_lr_on_plateau import ReduceLROnPlateau, WarmupThenPlateau
from mlx_lr_scheduler.scheduler import LRScheduler
from mlx_lr_scheduler.step_lr import StepLR
from mlx_lr_scheduler.swa_lr import SWALR
from mlx_lr_scheduler.warmup_cosine_lr import WarmupCosineLR
from mlx_lr_scheduler.warmup_lr import WarmupLR
from mlx_lr_scheduler.warmup_polynomial_lr import WarmupPolynomialLR
from mlx_lr_scheduler.warmup_stable_decay_lr import WarmupStableDecayLR

__version__ = "0.1.0"

__all__ = [
    "SWALR",
    "ChainedScheduler",
    "CheckpointError",
    "ConstantLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "ExponentialLR",
    "InverseSqrtLR",
    "LRFindResult",
    "LRScheduler",
    "LambdaLR",
    "LinearLR",
    "MultiStepLR",
    "MultiplicativeLR",
    "OneCycleLR",
    "PolynomialLR",
    "Preview",
    "ReduceLROnPlateau",
    "SequentialLR",
    "StepLR",
    "WarmupCosineLR",
    "WarmupLR",
    "WarmupPolynomialLR",
    "WarmupStableDecayLR",
    "WarmupThenPlateau",
    "from_config",
    "load_checkpoint",
    "load_checkpoint_distributed",
    "lr_find",
    "preview",
    "save_checkpoint",
    "save_checkpoint_distributed",
    "to_config",
]
