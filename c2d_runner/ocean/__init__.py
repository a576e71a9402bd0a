"""The Ocean client: DIDs, DDOs, Aquarius, the Provider and OceanCompute (ocean.py's names).

Names are loaded lazily (PEP 562) so that importing `c2d_runner.ocean.errors` or the package
itself does not pull in requests or eth-account.
"""
from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    # compute
    "OceanCompute": "compute",
    # records the client returns
    "ResultFile": "records",
    "JobStatus": "records",
    "JobResult": "records",
    "Resource": "records",
    "Fee": "records",
    # inputs
    "ComputeInput": "inputs",
    "AlgorithmMetadata": "inputs",
    # metadata
    "Aquarius": "aquarius",
    "DDO": "ddo",
    "Service": "ddo",
    "parse_ddo": "ddo",
    "files_checksum": "ddo",
    "container_section_checksum": "ddo",
    # environments and orders
    "ComputeEnvironment": "records",
    "InitializeResult": "records",
    "OrderItem": "records",
    # consumability
    "ConsumableCodes": "consumable",
    # DIDs
    "derive_did": "did",
    "is_valid_did": "did",
    "validate_did": "did",
    "did_matches": "did",
    # wallets
    "wallet_from_env": "wallet",
    "wallet_from_key_file": "wallet",
    # config
    "ClientConfig": "config",
    # errors
    "OceanError": "errors",
    "ConfigError": "errors",
    "WalletError": "errors",
    "InvalidDID": "errors",
    "InvalidDDO": "errors",
    "UnsupportedDDO": "errors",
    "InvalidComputeRequest": "errors",
    "ServiceError": "errors",
    "ProviderError": "errors",
    "JobNotFound": "errors",
    "AquariusError": "errors",
    "DDONotFound": "errors",
    "AssetNotConsumable": "errors",
    "OrderRequired": "errors",
    "NoFreeEnvironment": "errors",
    "ComputeTimeout": "errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
