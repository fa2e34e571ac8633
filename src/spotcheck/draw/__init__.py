"""The draw (双随机): RFC 3797 selection of subjects, matching of inspectors, the transcript.

Pure code: docs/draw-protocol.md is the contract an outsider implements to check a draw.
"""
