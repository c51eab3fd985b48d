# The earlier path of etris/dinov2-b14_clip-text_refcoco.py (the DETRIS
# pairing is a referring-segmentation config like the others in etris/),
# kept so that commands and configs naming it keep working.
_base_ = ['../etris/dinov2-b14_clip-text_refcoco.py']
