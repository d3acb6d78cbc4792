/**
 * A textarea as tall as its text: a Jupyter command line stays readable in full instead of
 * scrolling sideways inside a one-line field.
 */
import { useLayoutEffect, useRef, type TextareaHTMLAttributes } from 'react';

export function GrowingTextarea(props: TextareaHTMLAttributes<HTMLTextAreaElement> & { value: string }) {
  const ref = useRef<HTMLTextAreaElement>(null);
  useLayoutEffect(
    function fitText() {
      const el = ref.current;
      if (!el) return;
      el.style.height = 'auto';
      // scrollHeight excludes the border: add it so the last line is not clipped.
      const border = el.offsetHeight - el.clientHeight;
      el.style.height = `${el.scrollHeight + border}px`;
    },
    [props.value],
  );
  return <textarea rows={1} {...props} ref={ref} className={`growing ${props.className ?? ''}`} />;
}
