"""Agenda: items, the current item, speakers' lists and quorum calls of an assembly's sitting."""
