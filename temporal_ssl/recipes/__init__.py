"""Published recipes: each paper's pretraining and downstream protocols at its real size, one command away."""

from temporal_ssl.recipes.catalog import apply_dataset, find_catalog, load_catalog, resolve_dataset
from temporal_ssl.recipes.recipe import Recipe, load_recipe, recipe_names, recipe_summary
from temporal_ssl.recipes.run import RecipeRun, run_recipe
from temporal_ssl.recipes.smoke import SmokeSize

__all__ = [
    "Recipe",
    "RecipeRun",
    "SmokeSize",
    "apply_dataset",
    "find_catalog",
    "load_catalog",
    "load_recipe",
    "recipe_names",
    "recipe_summary",
    "resolve_dataset",
    "run_recipe",
]
