"""c2d-runner: run Ocean Protocol Compute-to-Data jobs from declarative YAML specs.

The Ocean client is re-exported with ocean.py's names, so ocean.py code ports by changing its
imports: `from c2d_runner import OceanCompute, ComputeInput, AlgorithmMetadata, Aquarius, DDO,
AssetNotConsumable`.  The re-export is lazy (PEP 562) so `import c2d_runner` (and `c2d --help`)
never imports requests or eth-account. The error tree's root and categories (`C2DError`,
`JobFailure`, `InvalidInput`, `InfrastructureFailure`; see `c2d_runner.errors`) are exported too.
"""
from __future__ import annotations

from typing import Any

from c2d_runner.errors import C2DError, InfrastructureFailure, InvalidInput, JobFailure

__version__ = "0.1.0"

_OCEAN_EXPORTS = (
    "OceanCompute",
    "ComputeInput",
    "AlgorithmMetadata",
    "Aquarius",
    "DDO",
    "Service",
    "ComputeEnvironment",
    "ResultFile",
    "JobStatus",
    "JobResult",
    "ConsumableCodes",
    "ClientConfig",
    "derive_did",
    "is_valid_did",
    "validate_did",
    "wallet_from_env",
    "wallet_from_key_file",
    "OceanError",
    "ProviderError",
    "AquariusError",
    "DDONotFound",
    "AssetNotConsumable",
    "ComputeTimeout",
    "OrderRequired",
    "NoFreeEnvironment",
    "UnsupportedDDO",
    "InvalidDDO",
    "WalletError",
)

__all__ = ["__version__", "C2DError", "JobFailure", "InvalidInput", "InfrastructureFailure", *_OCEAN_EXPORTS]


def __getattr__(name: str) -> Any:
    if name in _OCEAN_EXPORTS:
        from c2d_runner import ocean

        value = getattr(ocean, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
