"""jixiao.scoring — turn targets and actuals into points, weights and grades."""
