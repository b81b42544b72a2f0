"""Forms generated from JSON Schema (draft 2020-12) + a UI schema, rendered and read back on the server.

They work with JavaScript off, on a 360 px phone, by keyboard only and with a screen reader, in
Vietnamese first (``lang="en"`` switches the fixed words). A page does::

    action = array_action(request.form)
    data = parse_form(form, request.form)
    if action:                                   # "Thêm" / "Xoá" pressed: show the form again
        data = apply_array_action(data, action)
        errors = []
    else:
        errors = engine.forms.validate(form, data, lang)
    ... error_summary(errors, lang=lang) ... <form> csrf render_form(form, data, errors, lang=lang) buttons </form>

A form split by ``ui:steps`` shows one ``steps(form)[i]`` per page: ``render_form(..., only=step.fields)``,
``parse_form(..., only=step.fields, base=draft)`` and ``errors_in(validate(whole draft), steps, i)``.
"""

from webapp.formui.parse import apply_array_action, array_action, parse_form
from webapp.formui.paths import dom_id, field_name
from webapp.formui.render import error_summary, render_form
from webapp.formui.steps import Step, errors_in, step_of, steps, title_at

__all__ = ["Step", "apply_array_action", "array_action", "dom_id", "error_summary", "errors_in", "field_name",
           "parse_form", "render_form", "step_of", "steps", "title_at"]
