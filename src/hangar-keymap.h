/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Keyboard scancodes for QEMU's extended key event.
 *
 * QEMU's "qnum" is the XT (PC scancode set 1) make code of a key, with
 * 0x80 added for keys sent with an E0 prefix (Right Ctrl 0xE0 0x1D is
 * 0x9D). Linux evdev key codes (linux/input-event-codes.h) are the set-1
 * codes themselves for KEY_ESC (1) to KEY_KPDOT (83); the rest come from a
 * table. X11 and Wayland key codes are evdev codes plus 8.
 *
 * Returns 0 for keys with no scancode. */
guint16  hangar_keymap_evdev_to_qnum     (guint evdev_code);
guint16  hangar_keymap_keycode_to_qnum   (guint keycode);

/* The inverse, for tests and for releasing keys: the evdev code of a qnum
 * (0 when none). */
guint    hangar_keymap_qnum_to_evdev     (guint16 qnum);

G_END_DECLS
