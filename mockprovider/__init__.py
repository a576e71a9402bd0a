"""The mock Ocean: a mock Provider + Aquarius that really runs algorithms, offline.

    from mockprovider import MockOcean
    with MockOcean() as mock:
        mock.url, mock.assets["iris"].did
"""
from mockprovider.server import MockOcean, MockOceanError
from mockprovider.world import Asset, WorldInvalid, load_world

__all__ = ["MockOcean", "MockOceanError", "Asset", "WorldInvalid", "load_world"]
