"""The Channels 1.x import paths beside channels 4: a finder on ``sys.meta_path``,
installed at interpreter start by ``channels1_imports.pth``, maps 1.x module names
to this project's ``channels1`` package without touching channels 4's files.

One rule covers every module: ``channels.<path>`` that channels 4 has stays channels
4's module, and the 1.x names it lacks are read from ``channels1.<path>``; a
``channels.<path>`` that channels 4 lacks *is* ``channels1.<path>`` (the same module
object). A few names both versions define take the 1.x meaning, which keeps
serving channels 4's use too (see ``OVERRIDES``). Importing this module is cheap:
nothing of Django or channels is imported until such a module is.
"""

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types

LEGACY = "channels"
PACKAGE = "channels1"

# 1.x modules of other distributions, served by this project when those are absent.
ALIASES = {
    "asgi_redis": "channels1.layer.asgi_redis",
    "asgiref.inmemory": "channels1.inmemory",
}

# Names both versions define whose 1.x meaning wins in the channels 4 module: the
# 'channels' app (so INSTALLED_APPS = ['channels', ...] finds this project's
# commands and static files), the runworker command (which also runs the channels
# 4 form `runworker CHANNEL...`), channels 4's layer manager (the same one,
# reading 1.x's ROUTING key without refusing it), and the Worker class (1.x's
# `Worker(channel_layer, ...)`, which hands channels 4's call form to channels 4's
# class, kept in ORIGINALS).
OVERRIDES = {
    "channels.apps": ("ChannelsConfig",),
    "channels.layers": ("channel_layers",),
    "channels.management.commands.runworker": ("Command",),
    "channels.worker": ("Worker",),
}

# (module name, attribute) -> channels 4's own value of an overridden name.
ORIGINALS = {}


def counterpart(name):
    """The channels1 module name for a ``channels`` (1.x) module name."""
    return PACKAGE + name[len(LEGACY):]


def original(module_name, attribute):
    """Channels 4's own value of a name in ``OVERRIDES`` (its module imported first)."""
    importlib.import_module(module_name)
    return ORIGINALS[module_name, attribute]


def install():
    """Put the finder first on ``sys.meta_path`` (once)."""
    if not any(isinstance(finder, LegacyImportFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, LegacyImportFinder())


class LegacyImportFinder(importlib.abc.MetaPathFinder):
    """Finds ``channels.*``, ``asgi_redis`` and ``asgiref.inmemory`` as described in
    the module docstring; every other name is left to the next finders."""

    def find_spec(self, name, path=None, target=None):
        if name in ALIASES:
            return self._other_spec(name, path) or _alias_spec(name, ALIASES[name])
        if name != LEGACY and not name.startswith(LEGACY + "."):
            return None
        parent = sys.modules.get(name.rpartition(".")[0])
        if parent is not None and parent.__name__.startswith(PACKAGE + "."):
            # Inside a package channels 4 lacks, everything is channels1's.
            return _alias_spec(name, counterpart(name))
        spec = self._other_spec(name, path)
        if spec is None:
            return _alias_spec(name, counterpart(name))
        if spec.loader is not None:
            spec.loader = _SharedModuleLoader(spec.loader, counterpart(name), OVERRIDES.get(name, ()))
        return spec

    def _other_spec(self, name, path):
        """The spec the rest of ``sys.meta_path`` finds for ``name``, or None."""
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path)
            if spec is not None:
                return spec
        return None


def _alias_spec(name, target):
    """A spec under which ``name`` imports as the module ``target``, if it exists."""
    try:
        target_spec = importlib.util.find_spec(target)
    except ModuleNotFoundError:
        return None
    if target_spec is None:
        return None
    return importlib.machinery.ModuleSpec(
        name, _AliasLoader(target), origin=target_spec.origin,
        is_package=target_spec.submodule_search_locations is not None,
    )


class _AliasLoader(importlib.abc.Loader):
    """Loads a name as an existing module object (imported under its own name)."""

    def __init__(self, target):
        self.target = target
        self.target_spec = None

    def create_module(self, spec):
        module = importlib.import_module(self.target)
        self.target_spec = module.__spec__
        return module

    def exec_module(self, module):
        # The import system gave the module the alias spec; its own is the true one.
        module.__spec__ = self.target_spec


class _SharedModuleLoader(importlib.abc.Loader):
    """Loads a channels 4 module as usual, then lets it answer the 1.x names it lacks
    from its channels1 counterpart, and takes the 1.x meaning of ``overrides``."""

    def __init__(self, loader, legacy_name, overrides):
        self.loader = loader
        self.legacy_name = legacy_name
        self.overrides = overrides

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        self.loader.exec_module(module)
        if self.overrides:
            legacy = importlib.import_module(self.legacy_name)
            for attribute in self.overrides:
                if hasattr(module, attribute):
                    ORIGINALS[module.__name__, attribute] = getattr(module, attribute)
                setattr(module, attribute, getattr(legacy, attribute))
        if "__getattr__" not in module.__dict__:
            module.__getattr__ = _legacy_names(module.__name__, self.legacy_name)

    def __getattr__(self, attribute):
        # get_source, get_resource_reader, is_package ... stay the real loader's.
        return getattr(self.loader, attribute)


def _legacy_names(module_name, legacy_name):
    """A module ``__getattr__`` reading missing names from ``legacy_name``."""

    def __getattr__(attribute):
        missing = AttributeError(f"module {module_name!r} has no attribute {attribute!r}")
        if attribute.startswith("__"):
            raise missing
        try:
            legacy = importlib.import_module(legacy_name)
        except ModuleNotFoundError as error:
            if error.name is not None and legacy_name.startswith(error.name):
                raise missing from None
            raise
        try:
            value = getattr(legacy, attribute)
        except AttributeError:
            raise missing from None
        if isinstance(value, types.ModuleType):
            # A submodule goes through the import rule: channels 4's if it has one.
            return importlib.import_module(f"{module_name}.{attribute}")
        return value

    return __getattr__
