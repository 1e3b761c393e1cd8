/** The staff's inbox page bundle (/inbox): not part of the widget. */
import '../inbox/roomcast-inbox.js';
import { localizePage } from './page-language.js';

// The page's own strings are all in <roomcast-inbox>, which renders again once the catalogue is in.
localizePage(() => undefined);
