"""jixiao.review — expert review rounds, agreement between raters, Delphi studies."""
