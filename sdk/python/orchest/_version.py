# The Orchest SDK version whose API this package mirrors, plus Berth's own revision.
__version__ = "0.3.11+berth.1"
