"""An ``ImeInput`` whose own keys act on itself, in the order they were typed.

Textual hands a key to the widget focused when the key is *read*, but runs non-priority
bindings (Input's backspace, arrows, Home/End, delete, ctrl+w …) when the key comes back up
to the App, against the widget focused *then*. When keys arrive in a burst (SSH batching, a
busy low-spec machine, a fast typist) and one of them moves the focus, a backspace typed in
one field can land in the next. This Input runs its own bindings while it handles the key,
so editing keys always act on the field that received them, in typing order. Keys it does not
bind (ctrl+y, F7 …) bubble as usual.
"""

from __future__ import annotations

from textual import events

from screens.widgets.ime_input import ImeInput


class FieldInput(ImeInput):
    async def _on_key(self, event: events.Key) -> None:
        # Textual calls every class's ``_on_key`` along the MRO; prevent_default() stops the
        # base classes (Input inserting text, Widget dispatching) from handling the key again.
        bindings = self._bindings.key_to_bindings.get(event.key)
        if bindings:
            event.stop()
            event.prevent_default()
            await self.run_action(bindings[0].action)
