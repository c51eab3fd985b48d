"""The device check's table: one row per check, as Markdown."""
from typing import Dict, List

#: The table's columns, in order; each row is a dict with these keys.
COLUMNS = ('check', 'config', 'precision', 'status', 'figures')


def format_table(rows: List[Dict[str, str]]) -> str:
    """``rows`` as a Markdown table of :data:`COLUMNS` (missing keys: '-')."""
    cells = [list(COLUMNS)] + [[str(row.get(key, '-')) for key in COLUMNS] for row in rows]
    widths = [max(len(line[column]) for line in cells) for column in range(len(COLUMNS))]

    def line(values):
        return '| ' + ' | '.join(value.ljust(width) for value, width in zip(values, widths)) + ' |'

    separator = '|' + '|'.join('-' * (width + 2) for width in widths) + '|'
    return '\n'.join([line(cells[0]), separator] + [line(values) for values in cells[1:]])
