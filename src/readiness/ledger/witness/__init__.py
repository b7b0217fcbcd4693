"""Witnesses (C2SP tlog-witness): ask them to cosign, be one, publish, verify offline."""
