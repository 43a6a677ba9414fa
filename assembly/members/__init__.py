"""The member register: member governments and associations, with CSV import."""
