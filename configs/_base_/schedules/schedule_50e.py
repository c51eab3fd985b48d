# The earlier name of etris_50e.py (the referring schedule), kept so that
# configs inheriting it keep working.
_base_ = ['./etris_50e.py']
