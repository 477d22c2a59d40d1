/**
 * The hidden CSRF input every dashboard form carries.
 * @module
 */

/** `<input type="hidden" name="_csrf">` with the session's token. */
export function CsrfField(props: { token: string }) {
  return <input type="hidden" name="_csrf" value={props.token} />;
}
