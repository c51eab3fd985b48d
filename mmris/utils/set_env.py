"""Registration of every mmris module and the default scope."""
import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import every mmris module that registers components.

    Args:
        init_default_scope: make ``mmris`` the current default scope, so
            registries resolve plain names from mmris first. If another
            scope is current, a new ``mmris`` instance is made current.
    """
    import mmris.datasets  # noqa: F401
    import mmris.engine  # noqa: F401

    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None:
        DefaultScope.get_instance('mmris', scope_name='mmris')
    elif current.scope_name != 'mmris':
        warnings.warn(f'The current default scope {current.scope_name!r} is not '
                      f"'mmris'; register_all_modules makes a new 'mmris' scope current.",
                      stacklevel=2)
        DefaultScope.get_instance(f'mmris-{datetime.datetime.now()}', scope_name='mmris')
