"""nerlib: the NER workbench library (data, alignment, metrics, tagging, localizing, run records).

Import what you need from the modules (``from nerlib.data import load_conllpp``); importing the
package itself is cheap and loads neither torch nor transformers.
"""

__version__ = "0.1.0"
