"""The workbench (工作台): the Chinese web desk for mediators, liaisons, supervisors and auditors."""
