import { useId, useLayoutEffect, useRef, type FormEvent, type ReactNode } from 'react';

/**
 * A modal form for one action (complete, snooze, decide, pause a plan …): the browser's own
 * <dialog>, so focus stays inside it, Escape closes it and the page behind is inert. Focus goes
 * back to the button that opened it when it closes.
 */
export function ActionDialog({
  title,
  onClose,
  onSubmit,
  children,
}: {
  title: string;
  onClose: () => void;
  /** The form's submit (Enter or its submit button). */
  onSubmit?: () => void;
  children: ReactNode;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  // Layout effect: its clean-up runs before React removes the element, so close() can still
  // hand focus back to the opener.
  useLayoutEffect(() => {
    const dialog = ref.current;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (dialog && !dialog.open) dialog.showModal();
    return () => {
      if (dialog?.open) dialog.close();
      if (opener?.isConnected) opener.focus();
    };
  }, []);
  function submit(event: FormEvent) {
    event.preventDefault();
    onSubmit?.();
  }
  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      onCancel={(event) => {
        // Escape: let React's state close it, so that the page and the dialog agree.
        event.preventDefault();
        onClose();
      }}
    >
      <form onSubmit={submit} noValidate>
        <h2 id={titleId} className="flush-top">
          {title}
        </h2>
        {children}
      </form>
    </dialog>
  );
}
