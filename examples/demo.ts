// The README's demo. Until the actor runtime lands this is the transport echo.
import './transport-echo.ts';
