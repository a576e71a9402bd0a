# pytest refuses `pytest_plugins` in a conftest below the top level, so the pytester plugin that
# tests/plugin needs (to run pytest on scaffolded projects) is declared here. It only adds the
# pytester fixture and a --lsof option; other tests see no difference.
pytest_plugins = ["pytester"]
