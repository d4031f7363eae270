// The console's static files are bundled as text (webpack `asset/source`, jest test/support/text-transform.js).
declare module '*.html' {
  const text: string;
  export default text;
}
declare module '*.css' {
  const text: string;
  export default text;
}
declare module '*/static/console.js' {
  const text: string;
  export default text;
}
