"""The report's parameters, ``params/*.yml``, as typed and validated objects: the plan and its
measures, the raw sources, the privacy rules, each quarter's statuses and updates, the settings
that bind them per edition, and the site's pages derived from the plan."""
