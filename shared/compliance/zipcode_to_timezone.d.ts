/** Types of npm:zipcode-to-timezone, which ships none. */
declare const zipcodeToTimezone: {
  /** The IANA zone of a 5-digit US ZIP code, or null when it is not in the database. */
  lookup(zip: string): string | null;
};
export default zipcodeToTimezone;
