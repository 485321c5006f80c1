"""What a schedule achieves, for people: the KPI engine (`kpis`) and the workbook
(`workbook`, a module per sheet).
"""
