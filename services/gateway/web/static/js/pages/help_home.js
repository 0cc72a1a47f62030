// The help center's home: its search (categories, popular articles and notices come with the page).
import { mountHelpSearch } from "../help_search.js";

mountHelpSearch();
