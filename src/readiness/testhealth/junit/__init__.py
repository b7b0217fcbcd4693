"""junit"""
