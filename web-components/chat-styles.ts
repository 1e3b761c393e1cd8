import { css } from 'lit';

/** `<roomcast-chat>`'s own styles, after the shared theme. */
export const chatStyles = css`
    /*
     * Our direction, from our language (the host's dir attribute), never the page's: direction
     * inherits into the shadow root and all: initial does not reset it. Corners are logical, so
     * right to left the launcher sits bottom left and everything mirrors.
     */
    :host {
      direction: ltr !important;
    }
    :host([dir='rtl']) {
      direction: rtl !important;
    }
    :host {
      position: fixed;
      z-index: var(--roomcast-z-index, 2147483000);
      inset-inline-end: var(--roomcast-offset-x, 20px);
      bottom: var(--roomcast-offset-y, 20px);
      display: block;
      /* Not layout containment: it would make the host the box of the fixed, full-screen panel. */
      contain: style;
    }
    :host([position='bottom-left']) {
      inset-inline-end: auto;
      inset-inline-start: var(--roomcast-offset-x, 20px);
    }
    :host([mode='inline']) {
      position: relative;
      z-index: auto;
      inset: auto;
      height: var(--roomcast-height, 560px);
    }

    .launcher {
      position: relative;
      display: grid;
      place-items: center;
      width: 56px;
      height: 56px;
      margin: 0;
      padding: 0;
      border: 0;
      border-radius: 50%;
      background: var(--_accent);
      color: var(--_accent-fg);
      box-shadow: 0 6px 20px rgb(0 0 0 / 0.25);
      cursor: pointer;
    }
    .launcher:hover {
      filter: brightness(1.08);
    }
    .launcher:focus-visible {
      outline: 3px solid var(--_accent);
      outline-offset: 3px;
    }
    .launcher svg {
      width: 26px;
      height: 26px;
    }
    .badge {
      position: absolute;
      top: -4px;
      inset-inline-end: -4px;
      min-width: 22px;
      height: 22px;
      padding: 0 6px;
      border-radius: 11px;
      background: var(--roomcast-badge-bg, #b91c1c);
      color: var(--roomcast-badge-fg, #ffffff);
      box-shadow: 0 0 0 2px var(--_bg);
      font-size: 12px;
      font-weight: 700;
      line-height: 22px;
      text-align: center;
    }

    .panel {
      position: absolute;
      inset-inline-end: 0;
      bottom: calc(100% + 14px);
      display: flex;
      width: var(--roomcast-panel-width, 380px);
      max-width: calc(100vw - 2 * var(--roomcast-offset-x, 20px));
      height: var(--roomcast-panel-height, 560px);
      max-height: calc(100vh - 120px);
      max-height: calc(100dvh - 120px);
      border-radius: var(--roomcast-radius, 12px);
      box-shadow: 0 12px 48px rgb(0 0 0 / 0.22);
    }
    :host([position='bottom-left']) .panel {
      inset-inline-end: auto;
      inset-inline-start: 0;
    }
    .panel[hidden] {
      display: none;
    }
    :host([mode='inline']) .panel {
      position: static;
      width: 100%;
      max-width: none;
      height: 100%;
      max-height: none;
      box-shadow: none;
    }
    roomcast-room {
      flex: 1;
      min-width: 0;
      height: 100%;
    }
    /* Until the view's chunk is in, its slotted intro and close button would show unstyled. */
    roomcast-room:not(:defined) {
      visibility: hidden;
    }

    .close {
      display: grid;
      place-items: center;
      flex: none;
      width: 36px;
      height: 36px;
      margin-block: -6px;
      margin-inline: 0 -8px;
      padding: 0;
      border: 0;
      border-radius: 8px;
      background: transparent;
      color: var(--_fg);
      cursor: pointer;
    }
    .close:hover {
      background: var(--_border);
    }
    .close svg {
      width: 20px;
      height: 20px;
    }

    /* A phone: the open panel takes the whole (visual) viewport; the page's viewport meta is left alone. */
    @media (max-width: 480px) {
      :host(:not([mode='inline'])) .panel {
        position: fixed;
        top: var(--_vvtop, 0px);
        right: auto;
        bottom: auto;
        left: var(--_vvleft, 0px);
        width: var(--_vvw, 100vw);
        max-width: none;
        height: 100vh;
        height: var(--_vvh, 100dvh);
        max-height: none;
        border-radius: 0;
      }
      :host(:not([mode='inline'])) roomcast-room {
        border: 0;
        border-radius: 0;
      }
      :host([open]:not([mode='inline'])) .launcher {
        display: none;
      }
    }
    @media (prefers-reduced-motion: no-preference) {
      :host(:not([mode='inline'])) .panel {
        animation: rise 160ms ease-out;
      }
    }
    @keyframes rise {
      from {
        opacity: 0;
        transform: translateY(8px);
      }
    }
  `;
