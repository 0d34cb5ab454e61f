"""Read queries for insights, one module per concept, always for a viewer where a person
reads them: the reporting periods (``periods``), the dashboard figures (``figures``) and their
rollups (``rollups``), what duplicate detection compares (``detection``), the check of a new
proposal against the last detection (``snapshot``), the duplicate clusters (``clusters``), and
ROI studies (``roi_studies`` for their inputs and history, ``roi_result`` for their figures
and trace)."""
