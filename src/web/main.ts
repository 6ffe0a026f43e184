import { setRoutes, start } from './app.js';
import { profilePage, signInPage, signUpPage } from './pages/account-pages.js';
import { adminPage } from './pages/admin-page.js';
import { homePage } from './pages/home-page.js';
import { hostPage, newCompetitionPage, queuePage } from './pages/host-pages.js';
import { leaderboardPage } from './pages/leaderboard-page.js';
import { dataPage, overviewPage, rulesPage } from './pages/overview-pages.js';
import { submissionPage } from './pages/submission-page.js';
import { submissionsPage } from './pages/submissions-page.js';
import { submitPage } from './pages/submit-pages.js';
import { joinPage, teamPage } from './pages/team-pages.js';

setRoutes({
  '/': homePage,
  '/signin': signInPage,
  '/signup': signUpPage,
  '/profile': profilePage,
  '/c/:slug': overviewPage,
  '/c/:slug/data': dataPage,
  '/c/:slug/rules': rulesPage,
  '/c/:slug/submit': submitPage,
  '/c/:slug/submissions': submissionsPage,
  '/c/:slug/leaderboard': leaderboardPage,
  '/c/:slug/team': teamPage,
  '/c/:slug/host': hostPage,
  '/s/:id': submissionPage,
  '/join/:code': joinPage,
  '/host/new': newCompetitionPage,
  '/queue': queuePage,
  '/admin': adminPage,
});
start();
