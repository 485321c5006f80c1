"""What a schedule achieves and what happened, for people: the schedule's KPI engine
(`kpis`), the indicators of the history and state logs (`indicators`), schedule adherence
(`adherence`), forecast accuracy over time (`accuracy`) and the workbooks (`workbook`, a
module per sheet and one per report).
"""
