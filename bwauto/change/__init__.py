"""SOP step 8: raise a link's shaper on its router, with a diff first and evidence always."""
