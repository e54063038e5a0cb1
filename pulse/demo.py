"""Deterministic demo data: a fictional professional network's tickets and social posts.

Pulse has to work on a fresh machine with no customer data, and its tests need inputs whose
right answer is known. This module writes twelve weeks of realistic-looking support tickets
(`tickets.csv`, Zendesk-style) and social posts (`social.jsonl`) for "ProNet", plus
`truth.json`: the theme each text was written from and the planted changes (one theme surges
in the anchor week, one fades, and two carry a dated action: one falls after it, one does
not change), so clustering, ranking and action verdicts can be checked against a key.

Texts are composed from many building blocks per theme (openers, core complaints, details
with numbers and product words, closers, subjects), with typos, emoji, sarcasm, ALL CAPS
bursts and, in about one text in twenty, personal data for the redaction stage to find.
Everything comes from one seeded `random.Random`; the clock is read only to pick the default
anchor week, never inside the data, so the same arguments give byte-identical files.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from pulse.errors import PulseError
from pulse.weeks import IsoWeek

if TYPE_CHECKING:
    import duckdb

    from pulse.config import Settings

#: The demo brand's own handles: its settings, not the product's defaults.
BRAND_HANDLES: tuple[str, ...] = ("ProNetHelp", "ProNet")

SURGING_THEME = "invite_all_contacts"
FADING_THEME = "mobile_app_crash"


@dataclass(frozen=True)
class PlantedAction:
    """An action the demo's CX team recorded, and what it did to its theme's texts.

    The demo's own taxonomy, like its brand handles: topic ids are only known once a run
    has clustered, so the action names its theme and `demo_actions` finds the issue.
    """

    theme: str
    action: str
    owner: str
    weeks_before_anchor: int
    weekday: int  # 0 is Monday
    keep_share: float  # the share of the theme's texts from that day on that still arrive
    expected_verdict: str

    def on(self, anchor: IsoWeek) -> date:
        """The day the action took effect, for a demo ending at `anchor`."""
        return anchor.shift(-self.weeks_before_anchor).monday + timedelta(days=self.weekday)


# A fix that worked (the theme falls to a fifth from the Tuesday three weeks before the
# anchor) and one that changed nothing: the verdicts on the demo can be checked against them.
PLANTED_ACTIONS = (
    PlantedAction("notification_spam", "Weekly cap on notification e-mails shipped", "Growth",
                  3, 1, 0.2, "worked"),
    PlantedAction("login_verification", "Verification codes moved to a new SMS provider",
                  "Identity", 4, 2, 1.0, "no clear change yet"),
)

TICKET_COLUMNS = [
    "ticket_id", "created_at", "updated_at", "channel", "member_tier", "subject", "body",
    "csat", "nps", "first_response_minutes", "resolution_minutes", "is_escalated", "status",
    "tags",
]

# ---------------------------------------------------------------------------------------------
# Severity profiles: how a theme's tickets end (CSAT, speed, escalation).
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Severity:
    """Outcome distributions shared by themes of similar seriousness."""

    csat_weights: tuple[int, int, int, int, int]  # P(csat = 1..5), relative
    first_response_median: float  # minutes, for email/web/mobile; chat is much faster
    resolution_median: float  # minutes
    escalation_rate: float
    solved_rate: float  # for tickets older than two weeks


SEVERITIES = {
    "critical": Severity((46, 24, 14, 10, 6), 540, 4300, 0.34, 0.9),
    "high": Severity((30, 26, 20, 14, 10), 320, 1900, 0.17, 0.94),
    "medium": Severity((16, 20, 26, 24, 14), 200, 700, 0.07, 0.97),
    "mild": Severity((7, 12, 26, 31, 24), 150, 260, 0.02, 0.98),
    "positive": Severity((1, 2, 8, 24, 65), 90, 45, 0.0, 0.99),
    "noise": Severity((12, 8, 34, 22, 24), 120, 20, 0.0, 0.99),
}

# ---------------------------------------------------------------------------------------------
# Themes: everything a theme needs to write its texts.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Theme:
    """One kind of thing members write about, with the blocks its texts are built from."""

    key: str
    name: str
    is_complaint: bool
    keywords: list[str]
    weekly_mean: float  # texts per week at scale 1.0 (tickets + social)
    severity: str
    social_share: float
    tags: list[str]
    subjects: list[str]
    cores: list[str]
    details: list[str] = field(default_factory=list)
    openers: list[str] = field(default_factory=list)
    closers: list[str] = field(default_factory=list)
    social: list[str] = field(default_factory=list)
    sarcasm: list[str] = field(default_factory=list)
    caps: list[str] = field(default_factory=list)
    channels: dict[str, float] = field(
        default_factory=lambda: {"email": 0.24, "web": 0.22, "mobile": 0.4, "chat": 0.14}
    )
    tiers: dict[str, float] = field(
        default_factory=lambda: {"free": 0.62, "premium": 0.3, "recruiter": 0.08}
    )
    platforms: dict[str, float] = field(
        default_factory=lambda: {"twitter": 0.6, "facebook": 0.2, "forum": 0.2}
    )


THEMES: list[Theme] = [
    Theme(
        key="fake_company_page",
        name="Fake company page not taken down",
        is_complaint=True,
        keywords=["fake", "company page", "impersonation", "logo", "take down", "report"],
        weekly_mean=6,
        severity="high",
        social_share=0.3,
        tags=["company_page", "impersonation", "trust_safety"],
        tiers={"free": 0.3, "premium": 0.35, "recruiter": 0.35},
        channels={"email": 0.45, "web": 0.35, "mobile": 0.12, "chat": 0.08},
        subjects=[
            "Fake company page impersonating {company}",
            "Impersonation of our company page",
            "Report: fraudulent page using our logo",
            "Please remove fake page for {company}",
            "Trademark violation - company page",
            "Someone created a copy of our company page",
            "Duplicate page with our name is still live",
        ],
        openers=[
            "I am the page admin for {company}.",
            "I'm writing on behalf of {company}'s marketing team.",
            "We have reported this before and nothing has happened.",
        ],
        cores=[
            "Someone created a fake company page for {company} using our logo and it is still "
            "live.",
            "We reported the impersonating page {n} times and every time we get an automated "
            "reply saying it does not violate your policies.",
            "There is a copy of our company page with {big} followers and it is posting fake "
            "job offers in our name.",
            "The fake page lists {n} of our real employees as staff and they cannot remove the "
            "affiliation.",
            "Your report form only lets me pick 'spam' or 'inappropriate', there is no option "
            "for a business being impersonated.",
            "I am the verified super admin of {company}'s page and I still cannot get a "
            "duplicate page taken down.",
            "Candidates are messaging us about interviews that the fake {company} page "
            "scheduled, this is damaging our brand.",
            "It has been {days} days since we sent the trademark documentation and the fake "
            "page is still up.",
            "Support keeps closing my ticket about the counterfeit page without reading the "
            "evidence I attached.",
            "Why can anyone create a page with our exact name and logo without any verification?",
            "The impostor page even copied our 'About' text word for word.",
        ],
        details=[
            "The fake page is pronet.com/company/{company_slug}-official and ours is "
            "pronet.com/company/{company_slug}.",
            "Previous case numbers: {case} and {case}.",
            "We are a registered company in {city} with {big} employees.",
            "Our legal team sent the takedown request on {date}.",
            "The impostor page appeared around {date} and already has {big} followers.",
            "At least {n} people told us they applied to jobs posted there.",
        ],
        closers=[
            "Please escalate this to your trust and safety team.",
            "We will involve our lawyers if this is not resolved this week.",
            "Who do we actually talk to about this?",
        ],
        social=[
            "@ProNetHelp there's a FAKE page pretending to be {company} and you refuse to "
            "remove it",
            "reported the fake {company} page {n} times. still up. great job ProNet",
            "Heads up: the '{company} Official' page on ProNet is NOT us. ProNet won't take "
            "it down.",
            "how is a fake company page with our logo 'not violating policy' @ProNetHelp??",
            "ProNet lets anyone impersonate a company and then ignores the reports",
        ],
        sarcasm=[
            "Love that anyone can become {company} on ProNet in five minutes but getting it "
            "removed takes a month.",
            "Great to know your policy team thinks a page stealing our logo is totally fine.",
        ],
        caps=["TAKE IT DOWN", "IT IS NOT OUR PAGE"],
    ),
    Theme(
        key="invite_all_contacts",
        name="Invites sent to all contacts by mistake",
        is_complaint=True,
        keywords=["invite", "contacts", "address book", "sync", "undo", "withdraw"],
        weekly_mean=10,
        severity="medium",
        social_share=0.42,
        tags=["invitations", "contact_sync", "privacy"],
        subjects=[
            "Invitations sent to my entire address book",
            "I did NOT authorize invites to all my contacts",
            "How do I undo invites sent to all contacts",
            "Accidentally invited {contacts} people",
            "Contact sync sent invites without asking",
            "Withdraw all pending invitations",
            "Invites went out to my whole phone book",
        ],
        openers=[
            "I am mortified.",
            "I need help urgently with something your app did in my name.",
            "This is embarrassing and it is your app's fault.",
        ],
        cores=[
            "I tapped one button while setting up the app and ProNet sent an invitation to "
            "every single contact in my phone.",
            "{contacts} people from my address book just got an invite from me, including my "
            "ex, my doctor and my kids' school.",
            "There is no undo button, and withdrawing {contacts} invitations one by one is "
            "impossible.",
            "I never agreed to import my contacts, the screen only said 'Continue' and then it "
            "invited everyone.",
            "Your contact sync emailed my entire Gmail address book, including clients I have "
            "not spoken to in years.",
            "People keep replying asking why I invited them and I have to explain it was your "
            "app, not me.",
            "The 'Add all' checkbox was pre-selected and hidden below the fold, that is a dark "
            "pattern.",
            "My old boss and a former client both got invites from me and I look like a spammer.",
            "Now ProNet is sending reminder emails to all of them in my name.",
            "There is no bulk withdraw option for sent invitations, only one at a time.",
            "One mis-click and my whole address book was invited, with no confirmation screen.",
        ],
        details=[
            "It happened on {date} on my {device} after updating to version {app_version}.",
            "The Sent invitations page now shows {contacts} pending invites.",
            "I withdrew about {big} by hand and gave up after {hours} hours.",
            "It was on the 'Find people you know' screen right after login.",
            "I have since turned off contact syncing but the invites are already out.",
            "Several of the people are patients of mine and this is a confidentiality problem.",
        ],
        closers=[
            "Please withdraw all of them on your side.",
            "I want every pending invite cancelled and my contacts deleted from your servers.",
            "How is this legal under GDPR?",
        ],
        social=[
            "just invited my entire phone book to ProNet by accident. where is the undo "
            "@ProNetHelp??",
            "PSA: do NOT tap Continue on the ProNet contacts screen, it invites EVERYONE",
            "sorry to everyone who got a ProNet invite from me today, it was the app not me",
            "@ProNetHelp how do I cancel {contacts} invitations at once",
            "my dentist just accepted my ProNet invite. I never sent one.",
            "ProNet just spammed my whole address book in my name. {contacts} invites. no undo.",
        ],
        sarcasm=[
            "Love how one tap sends an invite to my therapist, my landlord and my ex. Great "
            "growth hack, ProNet.",
            "Amazing feature: invite all {contacts} contacts, zero ways to undo it.",
        ],
        caps=["THERE IS NO UNDO", "I DID NOT CONSENT TO THIS"],
    ),
    Theme(
        key="no_human_support",
        name="No way to reach a human or escalate",
        is_complaint=True,
        keywords=["human", "agent", "chatbot", "escalate", "automated reply", "phone number"],
        weekly_mean=40,
        severity="high",
        social_share=0.4,
        tags=["support_experience", "escalation"],
        subjects=[
            "I need to speak to a real person",
            "Escalation request",
            "No response to my previous tickets",
            "Is there a phone number for support?",
            "Stop sending automated replies",
            "Complaint about your support",
            "Ticket closed without an answer",
        ],
        openers=[
            "This is the {ordinal} time I am writing about this.",
            "Please read this one properly.",
            "I have been a member since {year}.",
        ],
        cores=[
            "Every time I write in I get the same automated reply pointing me to help articles "
            "I have already read.",
            "The chatbot just loops me back to the help center, there is no option to talk to "
            "a human agent.",
            "This is my {ordinal} ticket about the same issue and nobody has actually read it.",
            "Your support tickets get closed as 'solved' without anyone replying.",
            "Is there a phone number I can call? I have been trying to reach a person for "
            "{days} days.",
            "I asked to escalate to a supervisor and the reply was another canned template.",
            "The 'Contact us' link sends me to a help article which links back to the "
            "'Contact us' page.",
            "I pay for {plan} and still cannot get a human being to look at my case.",
            "Your agent promised a callback within 48 hours on {date} and nothing happened.",
            "I've had {n} replies from {n2} different agents, each asking me to repeat the "
            "whole story.",
            "Nobody answers, nobody escalates, and the ticket just gets merged into an old one.",
        ],
        details=[
            "My previous case numbers are {case}, {case} and {case}.",
            "I first contacted you on {date}.",
            "I have spent over {hours} hours on this so far.",
            "The last reply was signed by '{agent}' and did not address anything I wrote.",
            "The chat widget says 'an agent will join shortly' and then closes after {minutes} "
            "minutes.",
        ],
        closers=[
            "Please have a real person reply to this.",
            "I want this escalated to a manager.",
            "Do not send me another link to the help center.",
        ],
        social=[
            "@ProNetHelp is there a single human working in your support team?",
            "{days} days, {n} tickets, zero humans. ProNet support is a chatbot in a loop",
            "ProNet support: 'we hear you' *closes ticket*",
            "Anyone know how to actually reach a person at ProNet? asking for me",
            "@ProNetHelp stop sending me help articles and get a human to read my ticket",
        ],
        sarcasm=[
            "Love talking to a bot that answers every question with the same help article.",
            "Nice to see my ticket marked 'solved' when nobody replied. Very efficient.",
        ],
        caps=["I WANT TO TALK TO A HUMAN", "STOP CLOSING MY TICKET"],
    ),
    Theme(
        key="premium_billing",
        name="Premium billing, renewals and refunds",
        is_complaint=True,
        keywords=["premium", "charged", "refund", "renewal", "subscription", "cancel"],
        weekly_mean=50,
        severity="medium",
        social_share=0.22,
        tags=["billing", "premium", "refund"],
        tiers={"free": 0.15, "premium": 0.65, "recruiter": 0.2},
        channels={"email": 0.3, "web": 0.25, "mobile": 0.33, "chat": 0.12},
        subjects=[
            "Charged for Premium after cancelling",
            "Refund request",
            "Unexpected renewal charge {amount}",
            "Double charged for {plan}",
            "Free trial converted without warning",
            "Cannot cancel my subscription",
            "Billing error on my account",
        ],
        openers=[
            "I have a billing problem.",
            "I'm writing about a charge on my card.",
            "Second time asking about this refund.",
        ],
        cores=[
            "I cancelled {plan} on {date} and I was still charged {amount} today.",
            "My free trial converted into an annual subscription without any reminder email.",
            "I was charged twice for {plan} this month, {amount} each time.",
            "Your refund policy says within 7 days, I asked within {n} hours and was refused.",
            "The cancel button in the app sends me to the app store, which says I have no "
            "subscription.",
            "I was billed {amount} for a plan I downgraded from last month.",
            "The renewal went through on an old card I thought I had removed.",
            "I have been waiting {days} days for the refund you confirmed by email.",
            "The price went up from {amount} to {amount2} at renewal with no notice.",
            "My employer pays for Premium but I was also charged on my personal card.",
            "I can't find any way to turn off auto-renew before the trial ends.",
        ],
        details=[
            "Invoice number INV-{invoice}.",
            "The charge shows on my statement as PRONET*PREM {amount}.",
            "I bought it through {store} and the receipt says {amount}.",
            "I haven't used a single Premium feature since the renewal.",
            "The charge was on {date}.",
        ],
        closers=[
            "Please refund the full amount.",
            "I want a refund and confirmation that nothing else will be charged.",
            "If this isn't fixed I will dispute it with my bank.",
        ],
        social=[
            "@ProNetHelp charged me {amount} for Premium after I cancelled. give it back",
            "Set a reminder to cancel your ProNet free trial, they will NOT remind you",
            "ProNet premium auto renewed for a year at {amount}, refund denied. never again",
            "still waiting on that refund @ProNetHelp, day {days}",
            "double charged for ProNet Premium and support says 'allow 10 business days'",
        ],
        sarcasm=[
            "Love how cancelling takes nine clicks but charging my card takes zero.",
            "So glad ProNet remembered my old card just in time to renew.",
        ],
        caps=["I WANT MY MONEY BACK", "I CANCELLED"],
    ),
    Theme(
        key="restricted_account",
        name="Restricted or suspended account",
        is_complaint=True,
        keywords=["restricted", "suspended", "appeal", "violation", "user agreement", "locked"],
        weekly_mean=30,
        severity="critical",
        social_share=0.35,
        tags=["account_restriction", "trust_safety", "appeal"],
        subjects=[
            "My account has been restricted",
            "Account suspended without explanation",
            "Appeal of account restriction",
            "Why was my account restricted?",
            "Still restricted after uploading ID",
            "Please restore my account",
        ],
        openers=[
            "I woke up to find my account restricted.",
            "I have done nothing wrong.",
            "I need my account back, my job depends on it.",
        ],
        cores=[
            "My account was restricted overnight with no explanation and I can't access any "
            "of my messages.",
            "I got a 'your account has been restricted' message and the appeal form doesn't work.",
            "I have {years} years of connections on this account and you locked it without "
            "telling me what I did wrong.",
            "I uploaded my ID as asked {days} days ago and the account is still restricted.",
            "The email says I violated the user agreement but does not say which part.",
            "I'm in the middle of a job search and recruiters can't reach me because my "
            "account is suspended.",
            "I sent {n} connection requests after a conference and got restricted for it.",
            "Every appeal I submit gets the same generic response and the restriction stays.",
            "My profile now shows as 'ProNet Member' to everyone and my posts disappeared.",
            "I run our company page and nobody on the team can post because my account is "
            "restricted.",
        ],
        details=[
            "It happened on {date}, right after I logged in from {city}.",
            "My appeal reference is {case}.",
            "I have an interview on {weekday} and the recruiter can only reach me here.",
            "I have {big} connections and {n} years of recommendations on this profile.",
        ],
        closers=[
            "Please tell me what I did and lift the restriction.",
            "I am happy to verify my identity again, just tell me how.",
        ],
        social=[
            "@ProNetHelp my account got restricted for no reason and the appeal link is broken",
            "{years} years on ProNet, restricted overnight, zero explanation. cool cool cool",
            "Day {days} of my ProNet account being restricted. mid job hunt. amazing timing",
            "ProNet restricted my account and won't say why. how do I appeal if the form "
            "doesn't load?",
        ],
        sarcasm=[
            "Love how my account got locked again right before a job interview.",
            "Great system: spammers everywhere, but I get restricted for replying to messages.",
        ],
        caps=["WHAT DID I DO", "GIVE ME MY ACCOUNT BACK"],
    ),
    Theme(
        key="hacked_account",
        name="Hacked or taken-over account",
        is_complaint=True,
        keywords=["hacked", "compromised", "email changed", "password", "recover", "hacker"],
        weekly_mean=26,
        severity="critical",
        social_share=0.4,
        tags=["account_security", "hacked", "trust_safety"],
        subjects=[
            "My account was hacked",
            "URGENT: someone took over my account",
            "Email and password changed without my consent",
            "Hacker is messaging my connections",
            "Account compromised - please lock it",
            "Unauthorized login from {country}",
        ],
        openers=[
            "Please help, this is urgent.",
            "My account has been stolen.",
            "I am writing from my personal email because I can't get into ProNet anymore.",
        ],
        cores=[
            "Someone hacked my account, changed the email and password, and I can't get back in.",
            "The hacker is sending crypto investment messages to all my connections from my "
            "profile.",
            "I got a notice about a login from {country} and minutes later my email was changed.",
            "My profile name was changed to something else and my photo was replaced.",
            "The recovery process sends the code to the hacker's email, not mine.",
            "I reported the hack {days} days ago and the account is still live and spamming "
            "people.",
            "They turned on two-step verification with their own phone so I'm completely "
            "locked out.",
            "My connections are getting fake job offers from my account asking for money.",
            "The hacker bought {plan} with my card and posted job ads.",
            "I have filled in the hacked account form {n} times and never heard back.",
        ],
        details=[
            "The login happened on {date} at around {time}.",
            "The new email on the account is not mine and ends in @{spam_domain}.",
            "My original email is the one I am writing from.",
            "I have {big} connections who are now at risk.",
            "My profile URL is pronet.com/in/{user_slug}.",
        ],
        closers=[
            "Please lock the account until I can prove it's me.",
            "Every hour this stays up more people get scammed.",
        ],
        social=[
            "@ProNetHelp my account was hacked and it's messaging everyone I know. PLEASE lock it",
            "If you got a weird crypto message from me on ProNet, it wasn't me. Account hacked "
            "and ProNet won't help",
            "hacked ProNet account, day {days}, still no reply",
            "my ProNet got hacked, hacker changed the email and 2FA. support = silence",
        ],
        sarcasm=[
            "Love that the hacker got better support from ProNet than I did: they got my "
            "account, I got a bot.",
            "Great security, ProNet: the hacker changed my email in 30 seconds and I've been "
            "locked out for {days} days.",
        ],
        caps=["MY ACCOUNT WAS HACKED", "LOCK THE ACCOUNT NOW"],
    ),
    Theme(
        key="login_verification",
        name="Login loops, two-factor and verification codes",
        is_complaint=True,
        keywords=["login", "verification code", "two-step", "password reset", "sign in", "loop"],
        weekly_mean=46,
        severity="high",
        social_share=0.32,
        tags=["login", "2fa", "account_access"],
        subjects=[
            "Verification code never arrives",
            "Stuck in a login loop",
            "Can't sign in - two-step verification",
            "Password reset link not working",
            "Lost phone with authenticator",
            "Code expired every time",
            "Locked out of my account",
        ],
        openers=["I can't log in.", "I've been locked out since {weekday}."],
        cores=[
            "The verification code never arrives by SMS, I've requested it {n} times.",
            "I enter the code and it takes me straight back to the login page, over and over.",
            "I changed phones and my authenticator codes no longer work, and there's no backup "
            "option.",
            "The password reset link says it has expired even when I click it within a minute.",
            "Every time I log in it asks me to verify again with a code sent to an email I no "
            "longer have.",
            "The email with the code lands {minutes} minutes later, after it has expired.",
            "I get 'something went wrong, try again later' after entering the correct password.",
            "Two-step verification keeps sending codes to my old number ending in {last4}.",
            "On the app I'm logged in but on desktop it loops between the captcha and the code "
            "screen.",
            "I'm locked out for too many attempts, but I only tried twice.",
        ],
        details=[
            "I'm using {browser} on {os}.",
            "I tried clearing cookies, incognito mode and a different browser.",
            "I'm travelling in {city} so SMS might be delayed, but email doesn't work either.",
            "The error code shown is {errcode}.",
        ],
        closers=["Please reset my two-step verification.", "How do I get back in?"],
        social=[
            "@ProNetHelp verification code never comes. tried {n} times. help",
            "ProNet login loop is my new cardio. password, code, password, code...",
            "can't log into ProNet because the 2FA code goes to a phone I lost. no backup. great",
            "ProNet password reset link 'expired' after 20 seconds. sure",
        ],
        sarcasm=[
            "Love entering the same verification code {n} times just to land on the login "
            "page again.",
            "Very secure, ProNet: so secure that even I can't get in.",
        ],
        caps=["THE CODE NEVER ARRIVES", "I CAN'T LOG IN"],
    ),
    Theme(
        key="job_application_lost",
        name="Job applications lost or not submitted",
        is_complaint=True,
        keywords=["application", "Easy Apply", "submitted", "resume", "applied", "job"],
        weekly_mean=30,
        severity="medium",
        social_share=0.33,
        tags=["jobs", "easy_apply"],
        subjects=[
            "My job applications disappeared",
            "Easy Apply did not submit",
            "Applied jobs list is empty",
            "Resume upload fails on application",
            "Application shows as not sent",
            "Lost application to {company}",
        ],
        openers=["I'm actively job hunting and this is costing me opportunities."],
        cores=[
            "I applied to {n} jobs with Easy Apply and none of them appear in my 'Applied' list.",
            "The application for {role} at {company} shows as submitted to me, but the "
            "recruiter says they never got it.",
            "Easy Apply freezes on the last step and when I come back the job says I never "
            "applied.",
            "My resume upload fails with 'file could not be processed' even though it is a "
            "{size} PDF.",
            "The job closed while I was waiting for the submit button to stop spinning.",
            "My answers to the screening questions were wiped when the page reloaded.",
            "Your app submitted an old version of my CV instead of the one I selected.",
            "All my saved jobs and application history vanished after the update.",
            "I got an email confirming my application was sent, but the posting still shows "
            "the 'Apply' button.",
            "Recruiters tell me my applications arrive without the attachment.",
        ],
        details=[
            "This was the {role} position at {company}, posted {days} days ago.",
            "I'm on {browser} / {os}.",
            "The error code was {errcode}.",
            "It has happened for {n} applications this week.",
        ],
        closers=["Can you check whether my applications were actually sent?"],
        social=[
            "@ProNetHelp applied to {role} at {company}, app says applied, recruiter says "
            "nothing arrived. what?",
            "Easy Apply more like Easy Disappear. all my applications are gone",
            "job hunting is hard enough without ProNet eating my applications",
            "ProNet Easy Apply stuck on 'submitting...' for the {n}th time today",
        ],
        sarcasm=[
            "Nice to spend an hour on an application just for ProNet to forget it ever existed.",
        ],
        caps=["MY APPLICATIONS ARE GONE"],
    ),
    Theme(
        key="inmail_credits",
        name="InMail credits missing or not refunded",
        is_complaint=True,
        keywords=["InMail", "credits", "refund", "expired", "recruiter", "balance"],
        weekly_mean=14,
        severity="medium",
        social_share=0.15,
        tags=["inmail", "billing", "recruiter"],
        tiers={"free": 0.03, "premium": 0.45, "recruiter": 0.52},
        channels={"email": 0.35, "web": 0.35, "mobile": 0.18, "chat": 0.12},
        platforms={"twitter": 0.55, "facebook": 0.1, "forum": 0.35},
        subjects=[
            "InMail credits missing",
            "InMail credits not refunded",
            "Credits did not roll over",
            "Paid InMail pack not delivered",
            "InMail balance shows 0",
            "Where are my InMail credits?",
        ],
        cores=[
            "My InMail credits went from {n} to 0 overnight without me sending anything.",
            "InMails that get no response within 90 days are supposed to be credited back, but "
            "none were.",
            "The monthly InMail credits for {plan} were not added this cycle.",
            "My unused credits expired even though your page says they roll over.",
            "I sent an InMail, it failed with an error, and the credit was deducted anyway.",
            "The recruiter seat was reassigned and all the InMail credits vanished with it.",
            "I bought an extra pack of InMails for {amount} and they never showed up.",
            "The credit counter says {n} but the compose window says I have none left.",
            "Candidates declined my InMails and I didn't get the credits back as promised.",
        ],
        details=[
            "We have {n} recruiter seats on our contract.",
            "The contract number is CT-{invoice}.",
            "This started around {date}.",
        ],
        closers=["Please restore the credits.", "We expect these credits back this week."],
        social=[
            "@ProNetHelp where did my InMail credits go? paid for them",
            "ProNet quietly eating InMail credits again. {n} gone this month",
            "anyone else's InMail credits reset to zero today?",
        ],
        sarcasm=["Love paying for InMail credits that evaporate before I can use them."],
        caps=["WHERE ARE MY CREDITS"],
    ),
    Theme(
        key="notification_spam",
        name="Notification and email spam, can't unsubscribe",
        is_complaint=True,
        keywords=["notifications", "emails", "unsubscribe", "spam", "settings", "push"],
        weekly_mean=35,
        severity="mild",
        social_share=0.45,
        tags=["notifications", "email_preferences"],
        subjects=[
            "Too many emails",
            "Unsubscribe not working",
            "Stop the notifications",
            "Still getting emails after opting out",
            "Push notifications every hour",
            "Please remove me from marketing emails",
        ],
        cores=[
            "I unsubscribed from every email category and I still get {n} emails a day.",
            "The unsubscribe link leads to a page that says 'something went wrong'.",
            "I get push notifications about people I don't know reacting to posts I never saw.",
            "Turning off notifications in settings does nothing, they come back after a week.",
            "Why do I get an email every time someone I barely know has a work anniversary?",
            "The 'you appeared in {n} searches' emails are constant, even though I turned "
            "them off.",
            "I have a notification badge that never goes away even after reading everything.",
            "You send 'people are looking at your profile' emails just to get me to buy Premium.",
            "Marketing emails keep coming to an address I removed from the account.",
        ],
        details=[
            "I counted {big} emails from you last month.",
            "I've changed the settings on both the app and the website.",
            "The push notifications arrive at {time}, even on weekends.",
        ],
        closers=["Please just stop.", "Remove me from all of it."],
        social=[
            "ProNet sent me {n} emails today. {n2} of them were about other people's birthdays",
            "@ProNetHelp how do I make the notifications stop. unsubscribed from everything",
            "my ProNet notifications: someone you don't know posted something you won't read",
            "the ProNet unsubscribe link is decorative apparently",
        ],
        sarcasm=[
            "Thanks ProNet, I really needed a push notification at 2am about a stranger's work "
            "anniversary.",
        ],
        caps=["STOP EMAILING ME"],
    ),
    Theme(
        key="mobile_app_crash",
        name="Mobile app crashes",
        is_complaint=True,
        keywords=["app", "crash", "iPhone", "Android", "update", "freezes"],
        weekly_mean=45,
        severity="medium",
        social_share=0.4,
        tags=["mobile_app", "crash", "bug"],
        channels={"email": 0.06, "web": 0.05, "mobile": 0.86, "chat": 0.03},
        subjects=[
            "App keeps crashing",
            "App crashes on launch after update",
            "App freezes when opening messages",
            "ProNet app crash on {device}",
            "Can't use the mobile app",
            "App closes when I try to post",
        ],
        cores=[
            "Since the last update the app crashes as soon as I open it.",
            "The app freezes every time I open my messages and then closes itself.",
            "Opening any job post in the app makes it crash on my {device}.",
            "The app crashes when I try to upload a photo to a post.",
            "I've reinstalled the app {n} times and it still closes on launch.",
            "Scrolling the feed for more than a few seconds crashes the app.",
            "The app shows a white screen and then quits, every single time.",
            "Video posts make the app lock up and I have to force close it.",
            "The app crashes when I tap on a notification.",
            "After I updated my phone to the latest OS the app won't get past the splash screen.",
        ],
        details=[
            "Device: {device}, {os}, app version {app_version}.",
            "I've cleared the cache, restarted the phone and reinstalled.",
            "The website works fine on the same phone.",
            "It started on {date}.",
        ],
        closers=["Please fix the app.", "Is a fix coming?"],
        social=[
            "@ProNetHelp the app crashes every time I open messages. {device}, latest version",
            "ProNet app crashed {n} times in 10 minutes. new record",
            "is the ProNet app down for anyone else? keeps closing on launch",
            "the new ProNet update = instant crash on my {device}",
        ],
        sarcasm=[
            "Love the new update, the app now crashes before I even see the feed. Efficient.",
        ],
        caps=["THE APP KEEPS CRASHING"],
    ),
    Theme(
        key="profile_edit_fails",
        name="Profile photo or headline won't save",
        is_complaint=True,
        keywords=["profile", "photo", "headline", "save", "experience", "banner"],
        weekly_mean=20,
        severity="mild",
        social_share=0.28,
        tags=["profile", "bug"],
        subjects=[
            "Profile changes not saving",
            "Can't update my headline",
            "Profile photo upload fails",
            "Experience section won't save",
            "Banner image error",
            "Edits revert after saving",
        ],
        cores=[
            "I change my headline, press save, and it goes back to the old one.",
            "My profile photo upload gets stuck at {pct}% and then fails.",
            "Every time I add a new position under Experience I get 'we couldn't save your "
            "changes'.",
            "My new photo shows for me but everyone else still sees the one from {years} "
            "years ago.",
            "The banner image crops my company logo in half and there's no way to adjust it.",
            "I can't remove my old job title, the delete button doesn't do anything.",
            "The 'Open to Work' frame won't turn off even though I accepted an offer.",
            "The About section cuts off my text and then won't save at all.",
            "After editing my profile the skills section duplicated everything.",
        ],
        details=[
            "I tried on {browser} and in the app on my {device}.",
            "The photo is a {size} JPG.",
            "It's been like this since {date}.",
            "I start my new job as {role} at {company} on {weekday}.",
        ],
        closers=["Could someone look into it?", "Thanks for checking."],
        social=[
            "@ProNetHelp my headline won't save. still says I work at my old job. awkward",
            "trying to update my ProNet photo for the {n}th time. stuck at {pct}%",
            "ProNet profile editor just ate my whole About section",
        ],
        sarcasm=[
            "Love that my profile still says I work at a company I left {years} years ago.",
        ],
        caps=["IT WON'T SAVE"],
    ),
    Theme(
        key="search_recruiter_tools",
        name="Search and recruiter tools broken",
        is_complaint=True,
        keywords=["search", "recruiter", "filters", "Sales Navigator", "pipeline", "results"],
        weekly_mean=15,
        severity="medium",
        social_share=0.15,
        tags=["recruiter", "search", "sales_navigator"],
        tiers={"free": 0.05, "premium": 0.25, "recruiter": 0.7},
        channels={"email": 0.34, "web": 0.46, "mobile": 0.05, "chat": 0.15},
        platforms={"twitter": 0.45, "facebook": 0.05, "forum": 0.5},
        subjects=[
            "Recruiter search filters broken",
            "Sales Navigator search returns nothing",
            "Boolean search not working",
            "Saved searches disappeared",
            "Pipeline not loading",
            "Search results in the wrong location",
        ],
        cores=[
            "Recruiter search returns 0 results for '{role}' in {city}, which can't be right.",
            "The location filter is ignored and I get candidates from the wrong country.",
            "All my saved searches in Recruiter Lite disappeared.",
            "Boolean search with quotes and OR doesn't work any more.",
            "The project pipeline won't load, it spins forever.",
            "Sales Navigator lead lists are empty even though they had {big} leads yesterday.",
            "Search results repeat the same {n} profiles on every page.",
            "Exporting candidates to our ATS fails with an error every time.",
            "The 'open to work' filter shows people who are clearly not looking.",
        ],
        details=[
            "We have {n} recruiter seats and all of them are affected.",
            "Our contract is up for renewal next month.",
            "It has been broken since {date}.",
            "The search string was: \"{role}\" AND {city}.",
        ],
        closers=["We have hiring deadlines, please prioritise this."],
        social=[
            "@ProNetHelp Recruiter search has been broken for {days} days. we pay a LOT for this",
            "Sales Navigator filters doing their own thing again today",
            "anyone else getting zero results in ProNet Recruiter search?",
        ],
        sarcasm=[
            "Love paying for Recruiter when the search gives me pastry chefs for a Java "
            "developer role.",
        ],
        caps=["WE PAY FOR THIS"],
    ),
    Theme(
        key="scam_recruiters",
        name="Scam recruiters and fake job posts",
        is_complaint=True,
        keywords=["scam", "fake recruiter", "fake job", "fraud", "Telegram", "money"],
        weekly_mean=28,
        severity="high",
        social_share=0.45,
        tags=["scam", "jobs", "trust_safety"],
        subjects=[
            "Scam job posting",
            "Fake recruiter asking for money",
            "Report fraudulent recruiter",
            "Job offer scam via InMail",
            "Recruiter wants me on Telegram",
            "Fake job post still active",
        ],
        cores=[
            "A 'recruiter' from {company} offered me a remote job and then asked me to pay for "
            "equipment.",
            "I reported a fake job post {days} days ago and it is still up.",
            "Someone messaged me about a job as {role} and asked me to continue on Telegram, it's "
            "clearly a scam.",
            "The recruiter sent me a check to deposit and buy a laptop, my bank says it's "
            "fraudulent.",
            "There are dozens of fake data-entry job posts offering $45/hour with no experience.",
            "A fake recruiter using a stolen photo asked for my social security number for "
            "'onboarding'.",
            "I lost {amount_big} to a job scam that started with a message on your site.",
            "Why does the fake recruiter profile have a verified badge?",
            "Scam recruiters target people marked Open to Work, I get {n} messages a week.",
        ],
        details=[
            "The profile is pronet.com/in/{spam_slug}.",
            "They said the interview would be over text with a 'hiring manager'.",
            "I have screenshots of the whole conversation.",
            "The job post claims to be from {company} but the real {company} says they aren't "
            "hiring.",
        ],
        closers=["Please remove this person before someone else gets hurt."],
        social=[
            "Warning: fake recruiters on ProNet posing as {company}. asked me for bank details",
            "@ProNetHelp I've reported this scam job post {n} times. still live.",
            "ProNet is full of job scams now, be careful out there",
            "got a 'job offer' on ProNet that wanted me to buy gift cards. reported. nothing.",
        ],
        sarcasm=["Great to see the scammers have verified badges now. Very reassuring, ProNet."],
        caps=["IT'S A SCAM"],
    ),
    Theme(
        key="identity_verification",
        name="Identity verification rejected",
        is_complaint=True,
        keywords=["verify", "verification", "ID", "passport", "rejected", "badge"],
        weekly_mean=17,
        severity="high",
        social_share=0.25,
        tags=["verification", "identity"],
        subjects=[
            "ID verification rejected",
            "Can't verify my identity",
            "Verification keeps failing",
            "Passport not accepted",
            "Verification badge removed",
            "Identity check stuck",
        ],
        cores=[
            "My passport was rejected by the verification process {n} times with no reason.",
            "Verification says my name doesn't match, but it's exactly what's on my ID.",
            "My country's national ID card isn't accepted, only passports, and I don't have one.",
            "The selfie step fails every time with 'we couldn't verify you'.",
            "My verification badge disappeared after I changed my last name.",
            "The verification partner site times out on the last step.",
            "I'm required to verify to get my account back, but verification keeps failing.",
            "Your system says my document is expired, it expires in {years} years.",
        ],
        details=[
            "My name has accented characters: {accent_name}.",
            "I'm based in {country}.",
            "I used my {device} camera in good light.",
        ],
        closers=["How else can I prove who I am?"],
        social=[
            "@ProNetHelp ID verification rejected my passport {n} times. it's a real passport??",
            "can't verify my identity on ProNet because my name has an accent in it. in 2026",
            "ProNet verification: rejected, rejected, rejected. no reason given",
        ],
        sarcasm=[
            "Love that a fake recruiter gets verified but my actual passport gets rejected.",
        ],
        caps=["IT IS MY REAL NAME"],
    ),
    Theme(
        key="praise",
        name="Praise and thanks",
        is_complaint=False,
        keywords=["thank you", "great", "helpful", "resolved", "quick"],
        weekly_mean=24,
        severity="positive",
        social_share=0.5,
        tags=["compliment"],
        platforms={"twitter": 0.7, "facebook": 0.2, "forum": 0.1},
        subjects=[
            "Thank you!",
            "Great support",
            "Issue resolved - thanks",
            "Compliment for {agent}",
            "Thanks for the quick help",
        ],
        cores=[
            "Thank you {agent} for getting my account back so quickly.",
            "Just wanted to say the support team was great, my refund came through in {n} days.",
            "The job alerts are really useful, I got an interview from one last week.",
            "Big thanks to your team for removing the fake profile so fast.",
            "I was nervous after the hack but {agent} walked me through everything.",
            "Love the new resume builder, it saved me a lot of time.",
            "Got my dream job as {role} at {company} through ProNet, thank you!",
            "Problem solved, you can close this ticket. Thanks for the fast reply.",
            "{agent} fixed my billing issue in one reply, much appreciated.",
        ],
        details=[
            "It only took {minutes} minutes from my first message.",
            "I had been stuck on this since {date}.",
        ],
        closers=["Keep up the good work.", "Have a great week!"],
        social=[
            "shoutout to @ProNetHelp for sorting out my login issue in minutes",
            "Got the job!! Found it on ProNet. {role} at {company}",
            "Credit where it's due: ProNet support actually fixed my issue today",
            "thanks @ProNetHelp, refund arrived. you made my {weekday}",
            "@ProNetHelp {agent} from your team was brilliant today, thank you",
            "{n} weeks on ProNet and I have a new job as {role}. not bad",
            "account recovered in {minutes} minutes, thanks @ProNetHelp",
        ],
    ),
    Theme(
        key="noise",
        name="Off-topic, spam and gibberish",
        is_complaint=False,
        keywords=["out of office", "test", "seo", "followers", "crypto"],
        weekly_mean=14,
        severity="noise",
        social_share=0.55,
        tags=["no_action"],
        subjects=["(no subject)", "test", "Automatic reply", "Out of office", "Partnership", "hi"],
        cores=[
            "Out of office: I am away until {date} with limited access to email.",
            "Automatic reply: thank you for your message, I will respond on my return on "
            "{weekday}.",
            "test {n}{n2}{n}",
            "We offer cheap SEO and link building for pronet.com, reply for our {year} price "
            "list.",
            "Congratulations! You have been selected for a {amount} gift card, claim at "
            "{spam_domain}.",
            "Did anyone find a black umbrella at the conference in {city}?",
            "{gibberish}",
            "Please see attached. {gibberish}",
            "Did you see the game last night? {n}-{n2}, unbelievable",
            "Buy {big}00 followers for {amount} at {spam_domain} fast delivery",
            "Hello, is this the right place to book a table for {n} in {city}?",
            "Replying to confirm receipt of document {invoice}.",
        ],
        social=[
            "anyone else think {weekday}s should be illegal",
            "Follow for follow? #networking #F4F",
            "Crypto signals group, {big}% gains, DM me",
            "just had the best coffee of my life in {city}",
            "what's everyone's favorite productivity app for {role}s?",
            "{gibberish}",
            "new blog post: {n} lessons from {years} years as a {role}",
            "Happy {weekday} everyone! Who else is working from {city} today?",
            "flight to {city} delayed {hours} hours again lol",
            "Earn {amount} a day from home!!! link in bio",
            "is it just me or is {city} freezing today",
            "{n} tips to grow your network: be kind, show up, follow up",
            "rate my desk setup 1-10, {n} monitors now",
            "Free webinar {weekday}: {n} habits of top {role}s, register at {spam_domain}",
        ],
    ),
]

THEMES_BY_KEY = {theme.key: theme for theme in THEMES}

# ---------------------------------------------------------------------------------------------
# Shared building blocks.
# ---------------------------------------------------------------------------------------------

CHAT_GREETINGS = ["hi", "hello", "hi,", "hey there.", "Hi!", "hello?", "hi, quick one:"]
PRAISE_HASHTAGS = ["#grateful", "#newjob", "#ProNet", "#hired", "#thankyou"]
GREETINGS = ["Hi,", "Hello,", "Hi there,", "Hello support,", "Dear ProNet team,",
             "To whom it may concern,", "Hey,", "Good morning,", "Hi ProNet,"]
COMPLAINT_OPENERS = [
    "I hope someone can help me.", "I'm really frustrated.", "Not happy at all.",
    "I've been a paying member for {years} years.", "This is getting ridiculous.",
    "Sorry for the long message.", "Quick question.", "I'll keep this short.",
    "Following up on my earlier message.", "Honestly I'm about to delete my account.",
]
ANGRY_OPENERS = [
    "I am absolutely furious.", "This is completely unacceptable.",
    "What on earth did your terrible update do?",
    "Your app just humiliated me in front of my entire network.", "Are you kidding me?",
    "I am livid and deeply embarrassed.", "I am so angry I can barely type.",
    "This is the worst thing an app has ever done to me.",
]
ANGRY_CLOSERS = [
    "This is disgusting and I want an apology.", "Worst update ever.",
    "I am deleting my account if this is not fixed today.", "Shameful.",
    "I hate what this app has become.", "Absolutely awful.",
    "I feel violated and humiliated.", "Terrible, terrible design.",
]
ANGRY_SOCIAL_TAILS = [
    "absolutely disgusting", "worst update ever", "I hate this app", "so embarrassing",
    "furious", "shameful", "awful awful awful", "I'm mortified and angry",
]
COMPLAINT_CLOSERS = [
    "Please fix this.", "Thanks in advance.", "I expect a reply today.", "Any help appreciated.",
    "Looking forward to a real answer.", "Thank you.", "Please advise.", "Waiting for your reply.",
]
SIGNOFFS = ["Regards,", "Thanks,", "Best,", "Kind regards,", "Cheers,", "Thank you,"]
MOBILE_FOOTERS = ["Sent from my iPhone", "Sent from my Galaxy", "Sent from Outlook for Android"]
NEGATIVE_EMOJI = ["😡", "🤬", "🙄", "😤", "😩", "🤦", "💀", "😭", "👎", "🙃", "😒", "🤦‍♀️"]
POSITIVE_EMOJI = ["🙏", "🎉", "👏", "❤️", "😊", "🙌", "💯"]
NOISE_EMOJI = ["☕", "🔥", "😂", "🚀", "✨", "💪"]
HASHTAGS = ["#ProNet", "#customerservice", "#fail", "#fixit", "#jobsearch", "#OpenToWork",
            "#ux", "#support", "#frustrated"]
SURGE_LINES = [
    "Since this week's update the 'Continue' button on the 'Find people you know' screen "
    "invites your whole address book.",
    "Half my office got hit by this horrible bug after the update this week.",
    "The new onboarding screen after this week's update has no 'skip' option, only "
    "'Continue', and that sends the invites.",
    "Three of my colleagues did the exact same thing this week, this is clearly a bug in the "
    "new update.",
]
SURGE_SOCIAL = [
    "ProNet's new update invites your WHOLE address book if you tap Continue. avoid",
    "whoever designed the new ProNet 'Find people you know' screen owes me {contacts} apologies",
    "@ProNetHelp your update this week invited my entire contact list. roll it back",
]

FIRST_NAMES = [
    "maria", "james", "priya", "chen", "fatima", "lucas", "aisha", "tom", "sofia", "kenji",
    "olga", "daniel", "amara", "rahul", "emma", "diego", "nora", "samuel", "li", "hannah",
    "omar", "julia", "kwame", "sara", "mateo", "ines", "viktor", "grace", "yusuf", "chloe",
    "arjun", "zoe", "pedro", "mei", "lars", "anna", "tunde", "claire", "ali", "rosa",
]
LAST_NAMES = [
    "kowalski", "nguyen", "patel", "smith", "garcia", "mueller", "okafor", "rossi", "kim",
    "dubois", "silva", "johansson", "haddad", "tanaka", "brown", "lopez", "novak", "mensah",
    "fischer", "khan", "obrien", "costa", "ivanova", "schmidt", "wright", "moreau", "reyes",
]
AGENTS = ["Priya", "Tom", "Alex", "Marisol", "Jonas", "Keisha", "Ravi", "Elena", "Sam", "Noor"]
COMPANIES = [
    "Acme Analytics", "Northwind Logistics", "Brightpath Health", "Bluefin Capital",
    "Helix Robotics", "Granite & Co", "Lumen Studio", "Orchard Foods", "Vantage Cloud",
    "Pinecrest Legal", "Quanta Labs", "Redwood Retail", "Silverline Media", "Tidewater Energy",
    "Urban Nest Realty", "Kestrel Security", "Meridian Bank", "Nimbus Software",
]
ROLES = [
    "Data Analyst", "Senior Product Manager", "Frontend Developer", "Java Developer",
    "Marketing Coordinator", "Registered Nurse", "Account Executive", "UX Designer",
    "Financial Controller", "DevOps Engineer", "HR Business Partner", "Customer Success Manager",
    "Project Manager", "Data Scientist", "Sales Development Rep",
]
CITIES = ["London", "Berlin", "Toronto", "Austin", "Lagos", "Bangalore", "São Paulo", "Madrid",
          "Sydney", "Warsaw", "Dublin", "Chicago", "Singapore", "Nairobi", "Lyon", "Seattle"]
COUNTRIES = ["Vietnam", "Nigeria", "Russia", "Brazil", "Indonesia", "Romania", "Ukraine",
             "Philippines", "Poland", "Mexico", "India", "Germany"]
DEVICES = ["iPhone 15", "iPhone 13 mini", "iPhone 16 Pro", "Pixel 8", "Galaxy S23", "Galaxy A54",
           "iPad Air", "OnePlus 12", "Xiaomi 13T", "Pixel 7a", "Moto G84"]
OSES = ["iOS 18.1", "iOS 18.2", "iOS 17.6", "Android 15", "Android 14", "Windows 11",
        "macOS Sequoia", "iPadOS 18"]
BROWSERS = ["Chrome", "Safari", "Firefox", "Edge", "Brave", "Opera"]
PLANS = ["Premium Career", "Premium Business", "Sales Navigator Core", "Recruiter Lite",
         "Premium", "Sales Navigator Advanced"]
PRICES = ["$39.99", "$59.99", "$29.99", "$239.88", "$479.88", "€34.99", "£29.99", "$99.99",
          "$169.99", "€59.99", "$1,079.88"]
BIG_AMOUNTS = ["$850", "$1,200", "$2,400", "$3,900", "€700", "£1,500", "$450"]
STORES = ["the App Store", "Google Play", "the website", "PayPal"]
SPAM_DOMAINS = ["fastfollowz.biz", "pr0net-support.com", "giftwinner.top", "hr-desk-mail.ru",
                "careers-verify.net", "quickhire.xyz", "crypto-jobz.io"]
ACCENT_NAMES = ["José Álvarez", "Zoë Müller", "Łukasz Wróbel", "Chloé Dubois", "Søren Kjær",
                "Nguyễn Thị Hà", "Ana Conceição", "Björn Ståhl"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
ORDINALS = ["third", "fourth", "fifth", "sixth", "seventh", "3rd", "4th"]
ERROR_CODES = ["ERR_{a}{b}", "code {a}0{b}", "500", "503", "E-{a}{b}{b}", "AUTH_{a}{b}"]
EMAIL_DOMAINS = ["gmail.com", "outlook.com", "yahoo.com", "icloud.com", "proton.me",
                 "hotmail.co.uk", "web.de", "gmx.net"]

_SLOT = re.compile(r"\{(\w+)\}")

# ---------------------------------------------------------------------------------------------
# Text composition.
# ---------------------------------------------------------------------------------------------


def _slot_value(name: str, rng: random.Random, created: datetime) -> str:
    """A fresh value for one placeholder; dates stay before the text's own timestamp."""
    ri = rng.randint
    if name == "n":
        return str(ri(2, 9))
    if name == "n2":
        return str(ri(2, 6))
    if name == "big":
        return str(ri(20, 950))
    if name == "contacts":
        return str(rng.choice([ri(180, 900), ri(900, 2600), ri(2600, 4800)]))
    if name == "days":
        return str(ri(2, 24))
    if name == "hours":
        return str(ri(2, 72))
    if name == "minutes":
        return str(ri(6, 45))
    if name == "years":
        return str(ri(2, 15))
    if name == "year":
        return str(ri(2008, created.year - 1))
    if name == "pct":
        return str(ri(12, 97))
    if name == "last4":
        return f"{ri(0, 9999):04d}"
    if name == "ordinal":
        return rng.choice(ORDINALS)
    if name in ("amount", "amount2"):
        return rng.choice(PRICES)
    if name == "amount_big":
        return rng.choice(BIG_AMOUNTS)
    if name == "plan":
        return rng.choice(PLANS)
    if name == "date":
        day = created.date() - timedelta(days=ri(1, 40))
        style = ri(0, 3)
        if style == 0:
            return f"{MONTHS[day.month - 1][:3]} {day.day}"
        if style == 1:
            return f"{day.day} {MONTHS[day.month - 1]}"
        if style == 2:
            return f"{day.month}/{day.day}"
        return day.isoformat()
    if name == "weekday":
        return rng.choice(WEEKDAYS)
    if name == "time":
        hour = ri(0, 23)
        if rng.random() < 0.5:
            return f"{hour:02d}:{ri(0, 59):02d}"
        return f"{(hour % 12) or 12}:{ri(0, 59):02d} {'am' if hour < 12 else 'pm'}"
    if name == "company":
        return rng.choice(COMPANIES)
    if name == "company_slug":
        return rng.choice(COMPANIES).lower().replace(" & ", "-").replace(" ", "-")
    if name == "role":
        return rng.choice(ROLES)
    if name == "city":
        return rng.choice(CITIES)
    if name == "country":
        return rng.choice(COUNTRIES)
    if name == "device":
        return rng.choice(DEVICES)
    if name == "os":
        return rng.choice(OSES)
    if name == "browser":
        return rng.choice(BROWSERS)
    if name == "app_version":
        return f"9.{ri(28, 34)}.{ri(100, 999)}"
    if name == "store":
        return rng.choice(STORES)
    if name == "case":
        number = ri(88000, 103000)
        return rng.choice([f"ZD-{number}", f"#{number}", f"case {number}"])
    if name == "invoice":
        return str(ri(10_000_000, 99_999_999))
    if name == "agent":
        return rng.choice(AGENTS)
    if name == "errcode":
        return rng.choice(ERROR_CODES).format(a=ri(1, 9), b=ri(0, 9))
    if name == "size":
        return f"{ri(1, 9)}.{ri(0, 9)} MB"
    if name == "spam_domain":
        return rng.choice(SPAM_DOMAINS)
    if name == "spam_slug":
        return f"hr-{rng.choice(FIRST_NAMES)}-{ri(1000, 99999)}"
    if name == "user_slug":
        return f"{rng.choice(FIRST_NAMES)}-{rng.choice(LAST_NAMES)}-{ri(10, 999)}"
    if name == "accent_name":
        return rng.choice(ACCENT_NAMES)
    if name == "gibberish":
        return _gibberish(rng)
    raise KeyError(f"unknown placeholder {{{name}}} in demo building blocks")


# Slots that name one thing per text: the same company or phone model throughout a message.
_STICKY_SLOTS = {"company", "company_slug", "role", "city", "country", "device", "os", "browser",
                 "app_version", "plan", "agent", "store", "contacts", "accent_name"}


def _platform_family(name: str) -> str:
    if name.startswith(("iPhone", "iPad", "iOS")):
        return "apple"
    if name.startswith(("Windows", "macOS")):
        return "desktop"
    return "android"


def _fill(template: str, rng: random.Random, created: datetime, sticky: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in _STICKY_SLOTS:
            return _slot_value(name, rng, created)
        if name not in sticky:
            # An iPhone runs iOS: pick the second of device/OS to match the first.
            partner = {"os": "device", "device": "os"}.get(name)
            family = _platform_family(sticky[partner]) if partner in sticky else "desktop"
            if family != "desktop":
                pool = OSES if name == "os" else DEVICES
                sticky[name] = rng.choice([x for x in pool if _platform_family(x) == family])
            else:
                sticky[name] = _slot_value(name, rng, created)
        return sticky[name]

    return _SLOT.sub(value, template)


def _gibberish(rng: random.Random) -> str:
    letters = "asdfghjklqwertyuiopzxcvbnm"
    words = ["".join(rng.choice(letters) for _ in range(rng.randint(2, 7)))
             for _ in range(rng.randint(1, 4))]
    return " ".join(words)


def _typo(text: str, rng: random.Random) -> str:
    """Swap or drop a letter in one or two longer words, as hurried typing does."""
    words = text.split(" ")
    candidates = [
        i for i, word in enumerate(words) if len(word) >= 5 and word.isalpha() and word.islower()
    ]
    for _ in range(rng.choice([1, 1, 2])):
        if not candidates:
            break
        i = rng.choice(candidates)
        word = words[i]
        j = rng.randrange(1, len(word) - 1)
        if rng.random() < 0.5:
            words[i] = word[:j] + word[j + 1] + word[j] + word[j + 2:]
        else:
            words[i] = word[:j] + word[j + 1:]
    return " ".join(words)


def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _handle(rng: random.Random) -> str:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    style = rng.randint(0, 5)
    if style == 0:
        return f"@{first}_{last[0]}_{rng.randint(70, 99)}"
    if style == 1:
        return f"@{first}{last}"
    if style == 2:
        return f"@{first}{last[:3]}{rng.randint(1, 99)}"
    if style == 3:
        return f"@{first[0]}{last}_{rng.randint(1, 999)}"
    if style == 4:
        return f"@the_real_{first}"
    return f"@{first}_{last}"


def _email(rng: random.Random) -> str:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    local = rng.choice([f"{first}.{last}", f"{first}_{last}{rng.randint(1, 99)}",
                        f"{first[0]}.{last}", f"{first}{rng.randint(70, 99)}"])
    if rng.random() < 0.2:
        return f"{first}.{last}@{rng.choice(COMPANIES).split()[0].lower()}.com"
    return f"{local}@{rng.choice(EMAIL_DOMAINS)}"


def _phone(rng: random.Random) -> str:
    ri = rng.randint
    return rng.choice([
        f"+1 ({ri(201, 989)}) 555-{ri(100, 199):04d}",
        f"{ri(201, 989)}-555-{ri(100, 199):04d}",
        f"{ri(201, 989)}.{ri(200, 999)}.{ri(1000, 9999)}",
        f"+44 7700 {ri(900000, 900999)}",
        f"+49 151 {ri(10000000, 99999999)}",
        f"+91 {ri(70000, 99999)} {ri(10000, 99999)}",
        f"07{ri(100, 999)} {ri(100000, 999999)}",
    ])


def _card(rng: random.Random) -> str:
    """A Luhn-valid 16-digit number, so redaction that checks Luhn has something to catch."""
    digits = [rng.choice([4, 5])] + [rng.randint(0, 9) for _ in range(14)]
    total = 0
    for i, digit in enumerate(reversed(digits)):
        doubled = digit * 2 if i % 2 == 0 else digit
        total += doubled - 9 if doubled > 9 else doubled
    digits.append((10 - total % 10) % 10)
    number = "".join(map(str, digits))
    sep = rng.choice([" ", "-", ""])
    return sep.join(number[i:i + 4] for i in range(0, 16, 4))


def _pii_sentence(rng: random.Random, social: bool) -> tuple[str, list[str]]:
    """A sentence carrying personal data, and the kinds of data it carries."""
    roll = rng.random()
    if social:
        if roll < 0.5:
            return rng.choice(["DM me or email {x}", "my email is {x} if support wants it",
                               "reach me at {x}"]).format(x=_email(rng)), ["email"]
        return rng.choice(["call me {x}", "my number is {x}, someone call please",
                           "text me on {x}"]).format(x=_phone(rng)), ["phone"]
    if roll < 0.4:
        return rng.choice([
            "You can reach me at {x}.",
            "The account is registered to {x} but I no longer have access to that inbox.",
            "Please reply to {x} instead.",
            "My backup email is {x}.",
        ]).format(x=_email(rng)), ["email"]
    if roll < 0.75:
        return rng.choice([
            "My phone number is {x}, please call me.",
            "Call me on {x} any time after 5pm.",
            "My mobile is {x}.",
        ]).format(x=_phone(rng)), ["phone"]
    if roll < 0.9:
        return f"Call me on {_phone(rng)} or email {_email(rng)}.", ["phone", "email"]
    return rng.choice([
        "The charge was on my card {x}.",
        "Card used was {x}, exp 0{m}/2{y}.",
        "My card number is {x} if you need it to find the payment.",
    ]).format(x=_card(rng), m=rng.randint(1, 9), y=rng.randint(7, 9)), ["card"]


def _join(parts: list[str]) -> str:
    """Join sentences, ending the ones that lack it with a full stop (tweets keep theirs bare)."""
    out = []
    for i, part in enumerate(parts):
        if i < len(parts) - 1 and part and part[-1] not in ".!?:)":
            part += "."
        out.append(part)
    return " ".join(out)


@dataclass
class _Draft:
    text: str
    subject: str
    pii: list[str]


def _compose(
    theme: Theme, rng: random.Random, created: datetime, social: bool, channel: str,
    angry: bool,
) -> _Draft:
    """Write one text for a theme: picks, orders and perturbs building blocks."""
    parts: list[str] = []
    caps_rate = 0.18 if angry else 0.06
    complaint = theme.is_complaint
    pool_cores = list(theme.cores)
    if angry:
        pool_cores += SURGE_LINES

    platform = channel
    if social and not complaint:
        # Praise and noise are one thought; a second sentence reads as stitched together.
        use_social = theme.key == "noise" or rng.random() < 0.55
        parts.append(rng.choice(theme.social if use_social else theme.cores))
    elif social:
        if rng.random() < 0.55:
            base = rng.choice(theme.social + (SURGE_SOCIAL if angry else []))
        elif theme.sarcasm and not angry and rng.random() < 0.2:
            base = rng.choice(theme.sarcasm)
        else:
            base = rng.choice(pool_cores)
        parts.append(base)
        if platform != "twitter" or rng.random() < 0.3:
            parts.append(rng.choice(theme.details + pool_cores))
        if angry and rng.random() < 0.8:
            parts.append(rng.choice(ANGRY_SOCIAL_TAILS))
        if platform == "forum" and rng.random() < 0.6 and theme.details:
            parts.append(rng.choice(theme.details))
            if complaint and rng.random() < 0.5:
                parts.append(rng.choice(["Has anyone found a fix?", "Any ideas?",
                                         "Is anyone else seeing this?", "Help appreciated.",
                                         "Same problem for anyone else?"]))
    else:
        length = rng.choices([1, 2, 3, 4], weights=[22, 34, 28, 16])[0]
        if not complaint:
            length = min(length, 2)
        if angry and rng.random() < 0.75:
            parts.append(rng.choice(ANGRY_OPENERS))
        elif complaint and rng.random() < 0.35:
            parts.append(rng.choice(COMPLAINT_OPENERS + theme.openers))
        cores = rng.sample(pool_cores, k=min(len(pool_cores), 1 + (length >= 3)))
        if theme.sarcasm and not angry and rng.random() < 0.1:
            cores[0] = rng.choice(theme.sarcasm)
        parts.extend(cores)
        if theme.details:
            parts.extend(rng.sample(theme.details, k=min(len(theme.details),
                                                        (length >= 2) + (length >= 4))))
        if angry and rng.random() < 0.8:
            parts.append(rng.choice(ANGRY_CLOSERS))
        elif complaint and rng.random() < 0.5:
            parts.append(rng.choice(theme.closers + COMPLAINT_CLOSERS))
        elif not complaint and theme.closers and rng.random() < 0.4:
            parts.append(rng.choice(theme.closers))

    sticky: dict[str, str] = {}
    parts = [_fill(part, rng, created, sticky) for part in parts]

    if complaint and theme.caps and rng.random() < caps_rate:
        if rng.random() < 0.5:
            i = rng.randrange(len(parts))
            parts[i] = parts[i].upper()
        else:
            parts.insert(rng.randrange(len(parts) + 1), rng.choice(theme.caps) + "!!!")

    pii: list[str] = []
    if rng.random() < 0.05:
        sentence, pii = _pii_sentence(rng, social)
        parts.insert(len(parts) if rng.random() < 0.7 else 0, sentence)

    if rng.random() < (0.3 if angry else 0.18):
        i = rng.randrange(len(parts))
        parts[i] = _typo(parts[i], rng)

    if social:
        text = _join(parts)
        if complaint and "@ProNetHelp" not in text and platform == "twitter":
            if rng.random() < 0.45:
                text = "@ProNetHelp " + text
        if rng.random() < 0.12:
            other = _handle(rng)
            text = rng.choice([f"{other} same here. {text}", f"{text} cc {other}",
                               f"{other} this happened to me too: {text}"])
        if platform == "twitter" and rng.random() < 0.3 and theme.key != "noise":
            tags = HASHTAGS if complaint else PRAISE_HASHTAGS
            text += " " + " ".join(rng.sample(tags, k=rng.randint(1, 2)))
        emoji_pool = (NEGATIVE_EMOJI if complaint
                      else POSITIVE_EMOJI if theme.key == "praise" else NOISE_EMOJI)
        if rng.random() < (0.65 if angry else 0.45):
            text += " " + "".join(rng.choice(emoji_pool) for _ in range(rng.randint(1, 3)))
        if rng.random() < 0.35:
            text = text[0].lower() + text[1:]
        return _Draft(text=text, subject="", pii=pii)

    body = _join(parts)
    if channel == "chat":
        # Chat openers are typed into a widget: short, informal, no letter layout.
        if rng.random() < 0.4:
            body = rng.choice(CHAT_GREETINGS) + " " + body
        if rng.random() < 0.3:
            body = body[0].lower() + body[1:]
    else:
        if len(parts) >= 3 and rng.random() < 0.5:
            split = rng.randint(1, len(parts) - 1)
            body = _join(parts[:split] + [""])[:-1].rstrip() + "\n\n" + _join(parts[split:])
        if theme.key != "noise" and rng.random() < 0.45:
            body = rng.choice(GREETINGS) + ("\n\n" if rng.random() < 0.7 else " ") + body
        if rng.random() < (0.45 if channel == "email" else 0.2) and theme.key != "noise":
            name = rng.choice(FIRST_NAMES).capitalize()
            body += f"\n\n{rng.choice(SIGNOFFS)}\n{name}"
        if channel in ("email", "mobile") and rng.random() < 0.07:
            body += "\n\n" + rng.choice(MOBILE_FOOTERS)

    subject = _fill(rng.choice(theme.subjects), rng, created, sticky)
    roll = rng.random()
    if roll < 0.08 and complaint:
        subject = "URGENT: " + subject
    elif roll < 0.14:
        subject = "Re: " + subject
    elif roll < 0.2:
        subject = subject.lower()
    elif roll < 0.24 and complaint:
        subject += "!!!"
    return _Draft(text=body, subject=subject, pii=pii)


# ---------------------------------------------------------------------------------------------
# Volumes, timestamps and ticket/post fields.
# ---------------------------------------------------------------------------------------------

TICKET_DAY_WEIGHTS = [1.25, 1.2, 1.12, 1.08, 0.95, 0.5, 0.45]
SOCIAL_DAY_WEIGHTS = [1.0, 1.0, 1.0, 1.0, 1.05, 1.1, 1.15]
SURGE_DAY_WEIGHTS = [0.25, 0.9, 1.5, 1.5, 1.3, 1.1, 1.0]  # the app update shipped on Tuesday
TICKET_HOUR_WEIGHTS = [1, 1, 1, 1, 1, 2, 3, 5, 8, 10, 11, 11, 10, 10, 11, 10, 9, 7, 5, 4, 3, 2,
                       2, 1]
SOCIAL_HOUR_WEIGHTS = [3, 2, 1, 1, 1, 1, 2, 4, 5, 6, 6, 6, 7, 6, 6, 6, 7, 8, 9, 10, 10, 9, 7, 5]
MIN_WEEKLY_MEAN = 4.0  # even at small scales a theme needs a few texts a week to be clusterable
MIN_WEEKLY_COUNT = 3


# Knuth's method compares a product of uniforms with exp(-mean), which underflows to 0
# past a mean of about 745: every draw then came out near 745 whatever the mean, and
# `_stable_count` redrew for ever (a 1M-text corpus, scale 21.7, weekly means up to 1,085,
# hung). Larger means are drawn as a sum of Poisson parts no larger than this, which is
# exact (a sum of independent Poisson draws is Poisson) and leaves smaller means' draws,
# and so every smaller corpus, as they were.
POISSON_PART = 500.0


def _poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method: exact, and cheap for means up to POISSON_PART (split above it)."""
    if mean > POISSON_PART:
        parts = math.ceil(mean / POISSON_PART)
        return sum(_poisson(rng, mean / parts) for _ in range(parts))
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _stable_count(rng: random.Random, mean: float) -> int:
    """Poisson, redrawn beyond 2.5 standard deviations.

    A one-in-a-thousand week would otherwise hand a stable theme a spike that nobody planted,
    and the truth file would call a correct alert wrong.
    """
    spread = 2.5 * math.sqrt(mean)
    while True:
        count = _poisson(rng, mean)
        if abs(count - mean) <= spread:
            return count


def _weekly_counts(rng: random.Random, weeks: int, scale: float) -> dict[str, list[int]]:
    """Texts per theme per week: stable Poisson noise plus the two planted changes."""
    fade_factors = [0.8, 0.6, 0.42]  # the weeks before the anchor; the anchor is capped below
    counts: dict[str, list[int]] = {}
    for theme in THEMES:
        mean = max(theme.weekly_mean * scale, MIN_WEEKLY_MEAN)
        series: list[int] = []
        for index in range(weeks):
            weeks_to_anchor = weeks - 1 - index
            if theme.key == FADING_THEME and 0 < weeks_to_anchor <= len(fade_factors):
                factor = fade_factors[len(fade_factors) - weeks_to_anchor]
                series.append(max(1, _poisson(rng, mean * factor)))
            elif theme.key in (FADING_THEME, SURGING_THEME) and weeks_to_anchor == 0:
                series.append(-1)  # decided once the baseline weeks are known
            else:
                series.append(max(MIN_WEEKLY_COUNT, _stable_count(rng, mean)))
        counts[theme.key] = series

    baseline_weeks = max(1, weeks - 1 - len(fade_factors))
    fading = counts[FADING_THEME]
    fade_baseline = sum(fading[:baseline_weeks]) / baseline_weeks
    fading[-1] = max(1, min(_poisson(rng, fade_baseline * 0.22), math.floor(0.3 * fade_baseline)))

    surging = counts[SURGING_THEME]
    surge_baseline = sum(surging[:-1]) / (weeks - 1)
    surging[-1] = round(surge_baseline * rng.uniform(3.8, 4.4))
    return counts


def _timestamp(rng: random.Random, week: IsoWeek, day_weights: list[float],
               hour_weights: list[int]) -> datetime:
    day = rng.choices(range(7), weights=day_weights)[0]
    hour = rng.choices(range(24), weights=hour_weights)[0]
    start = datetime.combine(week.monday, datetime.min.time())
    return start + timedelta(days=day, hours=hour, minutes=rng.randrange(60),
                             seconds=rng.randrange(60))


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _ticket_fields(
    theme: Theme, rng: random.Random, created: datetime, weeks_old: int, angry: bool,
    channel: str,
) -> dict[str, object]:
    """CSAT, timings, escalation and status: how this theme's tickets tend to end."""
    severity = SEVERITIES[theme.severity]
    tier = _weighted(rng, theme.tiers)

    if weeks_old == 0:
        status = rng.choices(["solved", "pending", "open"], weights=[55, 20, 25])[0]
    elif weeks_old == 1:
        status = rng.choices(["solved", "pending", "open"], weights=[82, 10, 8])[0]
    else:
        solved = severity.solved_rate
        status = rng.choices(["solved", "pending", "open"],
                             weights=[solved, (1 - solved) * 0.6, (1 - solved) * 0.4])[0]

    median = 3.0 if channel == "chat" else severity.first_response_median
    if tier != "free":
        median *= 0.6  # paying members are routed to a faster queue
    first_response = max(1, round(rng.lognormvariate(math.log(median), 0.8)))

    resolution: int | None = None
    if status == "solved":
        res_median = severity.resolution_median * (1.4 if angry else 1.0)
        resolution = max(first_response,
                         round(rng.lognormvariate(math.log(res_median), 0.9)))

    escalation = severity.escalation_rate * (2.5 if angry else 1.0)
    is_escalated = rng.random() < escalation

    csat_rate = 0.63 if status == "solved" else 0.2
    if theme.key == "noise":
        csat_rate *= 0.3  # auto-replies and spam rarely answer a survey
    weights = list(severity.csat_weights)
    if angry:
        weights = [w * f for w, f in zip(weights, (3.0, 2.0, 1.0, 0.5, 0.3), strict=True)]
    if is_escalated:
        weights = [w * f for w, f in zip(weights, (1.6, 1.3, 1.0, 0.8, 0.6), strict=True)]
    csat = rng.choices([1, 2, 3, 4, 5], weights=weights)[0] if rng.random() < csat_rate else None
    nps: int | None = None
    if rng.random() < 0.2:
        anchor_score = {1: 1, 2: 3, 3: 6, 4: 8, 5: 9}[csat] if csat else rng.choice([2, 5, 7, 8])
        nps = min(10, max(0, anchor_score + rng.randint(-2, 2)))

    last_touch = resolution if resolution is not None else first_response + rng.randint(0, 600)
    updated = created + timedelta(minutes=last_touch, seconds=rng.randrange(60))

    tags = rng.sample(theme.tags, k=rng.randint(1, len(theme.tags)))
    if tier != "free" and tier not in tags:
        tags.append(tier)
    if is_escalated:
        tags.append("escalated")
    if channel == "mobile":
        tags.append(rng.choice(["ios", "android"]))

    return {
        "updated_at": _iso(updated),
        "channel": channel,
        "member_tier": tier,
        "csat": "" if csat is None else str(csat),
        "nps": "" if nps is None else str(nps),
        "first_response_minutes": str(first_response),
        "resolution_minutes": "" if resolution is None else str(resolution),
        "is_escalated": "true" if is_escalated else "false",
        "status": status,
        "tags": ";".join(tags),
    }


_TWITTER_EPOCH_MS = 1288834974657


def _post_id(platform: str, rng: random.Random, created: datetime) -> str:
    epoch_ms = int((created - datetime(1970, 1, 1)).total_seconds() * 1000) + rng.randrange(1000)
    if platform == "twitter":
        # Shaped like a real snowflake id, so ids sort by time as the platform's do.
        return f"tw-{((epoch_ms - _TWITTER_EPOCH_MS) << 22) | rng.randrange(1 << 22)}"
    if platform == "facebook":
        page = rng.randint(100000000, 999999999)
        return f"fb-100064{page}_{epoch_ms // 1000}{rng.randrange(100)}"
    return f"forum-{(epoch_ms // 1000 - 1_700_000_000) // 60 + rng.randrange(60)}"


def _post_url(platform: str, post_id: str, handle: str, text: str) -> str:
    number = post_id.split("-", 1)[1]
    if platform == "twitter":
        return f"https://twitter.com/{handle.lstrip('@')}/status/{number}"
    if platform == "facebook":
        page, post = number.split("_")
        return f"https://www.facebook.com/ProNet/posts/{post}?comment_id={page[-8:]}"
    words = re.findall(r"[a-z0-9]+", re.sub(r"@\w+", " ", text.lower()))
    slug = "-".join(words[:6]) or "post"
    return f"https://community.pronet.com/t/{slug}/{number}"


def _reach(platform: str, rng: random.Random) -> int:
    """Followers or impressions: most posts reach a few hundred, a few reach very many."""
    if platform == "twitter":
        value = rng.lognormvariate(5.3, 1.7)
        if rng.random() < 0.01:
            value *= 200
    elif platform == "facebook":
        value = rng.lognormvariate(4.6, 1.4)
    else:
        value = rng.lognormvariate(4.0, 1.1)
    return max(1, round(value))


# ---------------------------------------------------------------------------------------------
# The public entry point.
# ---------------------------------------------------------------------------------------------


def generate_demo(
    out_dir: Path,
    anchor: IsoWeek | None = None,
    weeks: int = 12,
    scale: float = 1.0,
    seed: int = 20261122,
) -> dict:
    """Write tickets.csv, social.jsonl and truth.json for `weeks` weeks ending at `anchor`.

    The data stand in for a real support organisation on a fresh machine, and the truth file
    lets tests and benchmarks check that Pulse finds what was planted: `invite_all_contacts`
    jumps to about four times its baseline in the anchor week (and reads angrier), while
    `mobile_app_crash` falls to at most 30% of its earlier level; `notification_spam` falls
    to about a fifth from its planted action's day (three weeks before the anchor), and
    `login_verification` has an action and no change (`PLANTED_ACTIONS`); every other theme
    is flat.

    Args:
        out_dir: Folder to write into; created if missing, files in it are replaced.
        anchor: The last (newest) week; defaults to the last complete ISO week.
        weeks: How many weeks to generate; at least 5, so the fade has a baseline.
        scale: Multiplies volumes (1.0 gives about 450 texts a week); small themes keep a
            floor of a few texts a week so they stay clusterable at small scales.
        seed: Seed of the only random generator used; same arguments give identical bytes.

    Returns:
        The truth dict that is also written to truth.json.

    Raises:
        PulseError: If weeks or scale are out of range.
    """
    if weeks < 5:
        raise PulseError(f"weeks={weeks} is too few for the demo; use 5 or more (default 12)")
    if not scale > 0:
        raise PulseError(f"scale={scale} must be a positive number, e.g. 1.0 or 0.25")
    anchor = anchor or IsoWeek.last_complete()
    week_list = [anchor.shift(offset - (weeks - 1)) for offset in range(weeks)]
    rng = random.Random(seed)
    export_time = _iso(datetime.combine(anchor.sunday, datetime.max.time()))
    counts = _weekly_counts(rng, weeks, scale)

    tickets: list[tuple[datetime, dict[str, str], str]] = []
    posts: list[tuple[datetime, dict[str, object], str]] = []
    author_pool = [_handle(rng) for _ in range(1500)]
    seen: dict[str, set[str]] = {theme.key: set() for theme in THEMES}
    pii_by_text: list[tuple[str, list[str], int, datetime]] = []

    for index, week in enumerate(week_list):
        weeks_old = weeks - 1 - index
        for theme in THEMES:
            angry = theme.key == SURGING_THEME and weeks_old == 0
            for _ in range(counts[theme.key][index]):
                is_social = rng.random() < theme.social_share
                channel = _weighted(rng, theme.platforms if is_social else theme.channels)
                day_weights = (SURGE_DAY_WEIGHTS if angry
                               else SOCIAL_DAY_WEIGHTS if is_social else TICKET_DAY_WEIGHTS)
                created = _timestamp(rng, week, day_weights,
                                     SOCIAL_HOUR_WEIGHTS if is_social else TICKET_HOUR_WEIGHTS)
                # Re-draw a few times when a text repeats one already written for the theme:
                # real members do repeat themselves, but not this often.
                for _attempt in range(4):
                    draft = _compose(theme, rng, created, is_social, channel, angry)
                    if draft.text not in seen[theme.key]:
                        break
                seen[theme.key].add(draft.text)
                if is_social:
                    record: dict[str, object] = {
                        "created_at": _iso(created),
                        "platform": channel,
                        "author_handle": rng.choices(
                            author_pool, weights=[1 / (i + 1) for i in range(len(author_pool))]
                        )[0] if rng.random() < 0.3 else _handle(rng),
                        "text": draft.text,
                        "reach": _reach(channel, rng),
                    }
                    posts.append((created, record, theme.key))
                    pii_by_text.append(("social", draft.pii, len(posts) - 1, created))
                else:
                    row = {"created_at": _iso(created), "subject": draft.subject,
                           "body": draft.text}
                    row.update(_ticket_fields(theme, rng, created, weeks_old, angry, channel))
                    # The export is taken when the anchor week ends: nothing is updated later
                    # (a loader rightly rejects timestamps from the future).
                    if str(row["updated_at"]) > export_time:
                        row["updated_at"] = export_time
                    tickets.append((created, row, theme.key))
                    pii_by_text.append(("ticket", draft.pii, len(tickets) - 1, created))

    ticket_ids = _assign_ticket_ids(rng, tickets)
    post_ids = _assign_post_ids(rng, posts)
    # The planted actions thin their theme's texts from their day on. A generator of its own
    # draws which go, after every text and id is made, so every other text stays as it was.
    dropped = _dropped_by_actions(random.Random(f"{seed}:actions"), anchor, tickets, posts)
    for kind, position in dropped:
        created, _item, theme_key = (tickets if kind == "ticket" else posts)[position]
        counts[theme_key][week_list.index(IsoWeek.of(created.date()))] -= 1

    doc_theme: dict[str, str] = {}
    pii: dict[str, list[str]] = {}
    for kind, kinds, position, _created in pii_by_text:
        doc_id = ticket_ids[position] if kind == "ticket" else post_ids[position]
        if kinds and (kind, position) not in dropped:
            pii[doc_id] = kinds
    for position, (_created, _row, theme_key) in enumerate(tickets):
        if ("ticket", position) not in dropped:
            doc_theme[ticket_ids[position]] = theme_key
    for position, (_created, _record, theme_key) in enumerate(posts):
        if ("social", position) not in dropped:
            doc_theme[post_ids[position]] = theme_key
    kept_tickets = [i for i in range(len(tickets)) if ("ticket", i) not in dropped]
    kept_posts = [i for i in range(len(posts)) if ("social", i) not in dropped]
    tickets, ticket_ids = [tickets[i] for i in kept_tickets], [ticket_ids[i] for i in kept_tickets]
    posts, post_ids = [posts[i] for i in kept_posts], [post_ids[i] for i in kept_posts]

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _write_tickets(out_dir / "tickets.csv", tickets, ticket_ids)
    _write_posts(out_dir / "social.jsonl", posts, post_ids)

    truth = {
        "seed": seed,
        "scale": scale,
        "anchor_week": str(anchor),
        "weeks": [str(week) for week in week_list],
        "surging_theme": SURGING_THEME,
        "fading_theme": FADING_THEME,
        "themes": {
            theme.key: {"name": theme.name, "is_complaint": theme.is_complaint,
                        "keywords": theme.keywords}
            for theme in THEMES
        },
        "counts": {
            str(week): {theme.key: counts[theme.key][index] for theme in THEMES}
            for index, week in enumerate(week_list)
        },
        "actions": [
            {"theme": planted.theme, "action": planted.action, "owner": planted.owner,
             "on": planted.on(anchor).isoformat(), "expected_verdict": planted.expected_verdict}
            for planted in PLANTED_ACTIONS
        ],
        "doc_theme": dict(sorted(doc_theme.items())),
        # Not part of the brief's contract, but lets redaction be scored against a key.
        "pii": dict(sorted(pii.items())),
    }
    (out_dir / "truth.json").write_text(
        json.dumps(truth, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return truth


def _dropped_by_actions(
    rng: random.Random, anchor: IsoWeek, tickets: list, posts: list
) -> set[tuple[str, int]]:
    """Which texts a planted action stopped: ("ticket" | "social", position) pairs."""
    dropped: set[tuple[str, int]] = set()
    for planted in PLANTED_ACTIONS:
        if planted.keep_share >= 1:
            continue
        start = planted.on(anchor)
        for kind, items in (("ticket", tickets), ("social", posts)):
            for position, (created, _item, theme_key) in enumerate(items):
                if theme_key == planted.theme and created.date() >= start:
                    if rng.random() >= planted.keep_share:
                        dropped.add((kind, position))
    return dropped


def demo_actions(con: duckdb.DuckDBPyConnection, run_id: str, demo_dir: Path) -> list:
    """The planted actions as taxonomy actions on the issues that hold their themes this run.

    Empty unless the database holds the demo's texts and `demo_dir` its truth file. The
    issue is the one holding most of the theme's texts in the run, as a reader of the
    demo report would pick it; the demo's actions never enter the user's taxonomy file.
    """
    from pulse.db import fetch_dicts
    from pulse.taxonomy import TopicAction

    try:
        truth = json.loads((Path(demo_dir) / "truth.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    actions = []
    for planted in truth.get("actions") or []:
        external_ids = sorted(d for d, t in truth["doc_theme"].items() if t == planted["theme"])
        rows = fetch_dicts(
            con,
            "demo_theme_issue",
            {"run_id": run_id, "sources": list(DEMO_SOURCES), "external_ids": external_ids},
        )
        if rows:
            actions.append(
                TopicAction(
                    topic_id=rows[0]["issue_id"],
                    action=planted["action"],
                    on=date.fromisoformat(planted["on"]),
                    owner=planted.get("owner"),
                )
            )
    return actions


def _assign_ticket_ids(rng: random.Random, tickets: list) -> list[str]:
    """Zendesk numbers grow with time, with gaps where other brands' tickets were filed."""
    order = sorted(range(len(tickets)), key=lambda i: (tickets[i][0], i))
    ids = [""] * len(tickets)
    number = 104000 - rng.randint(0, 900)
    for i in order:
        number += rng.choice([1, 1, 1, 2, 3])
        ids[i] = f"ZD-{number}"
    return ids


def _assign_post_ids(rng: random.Random, posts: list) -> list[str]:
    ids: list[str] = []
    used: set[str] = set()
    for created, record, _theme in posts:
        post_id = _post_id(str(record["platform"]), rng, created)
        while post_id in used:
            post_id = _post_id(str(record["platform"]), rng, created)
        used.add(post_id)
        ids.append(post_id)
    return ids


def _write_tickets(path: Path, tickets: list, ids: list[str]) -> None:
    order = sorted(range(len(tickets)), key=lambda i: (tickets[i][0], ids[i]))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=TICKET_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for i in order:
            writer.writerow({"ticket_id": ids[i], **tickets[i][1]})


def _write_posts(path: Path, posts: list, ids: list[str]) -> None:
    order = sorted(range(len(posts)), key=lambda i: (posts[i][0], ids[i]))
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for i in order:
            created, record, _theme = posts[i]
            platform = str(record["platform"])
            line = {
                "post_id": ids[i],
                "created_at": record["created_at"],
                "platform": platform,
                "author_handle": record["author_handle"],
                "text": record["text"],
                "reach": record["reach"],
                "url": _post_url(platform, ids[i], str(record["author_handle"]),
                                 str(record["text"])),
            }
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> None:
    """`python -m pulse.demo OUT_DIR`: write the demo files from a shell."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--anchor", type=IsoWeek.parse, default=None, help="e.g. 2026-W46")
    parser.add_argument("--weeks", type=int, default=12)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=20261122)
    args = parser.parse_args(argv)
    truth = generate_demo(args.out_dir, args.anchor, args.weeks, args.scale, args.seed)
    print(f"wrote {len(truth['doc_theme'])} texts for {truth['weeks'][0]}..{truth['anchor_week']}"
          f" to {args.out_dir}")


def ensure_demo(out_dir: Path, anchor: IsoWeek | None = None, scale: float = 1.0) -> Path:
    """The demo folder for `anchor`, generated only when missing or for another anchor.

    Regenerating is cheap (about a second) but would change file fingerprints for
    nothing; an unchanged demo folder lets a rerun skip ingestion entirely.
    """
    anchor = anchor or IsoWeek.last_complete()
    truth_path = Path(out_dir) / "truth.json"
    if truth_path.exists():
        try:
            truth = json.loads(truth_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            truth = {}
        if truth.get("anchor_week") == str(anchor) and truth.get("scale") == scale:
            return Path(out_dir)
    generate_demo(Path(out_dir), anchor=anchor, scale=scale)
    return Path(out_dir)


#: The mappings the demo generator's files load through.
DEMO_SOURCES = ("demo_tickets", "demo_social")


def has_user_data(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the database holds texts from any source other than the demo's."""
    from pulse.db import run_query

    return bool(
        run_query(con, "demo_has_user_data", {"demo_sources": list(DEMO_SOURCES)}).fetchone()[0]
    )


def ingest_demo(con: duckdb.DuckDBPyConnection, demo_dir: Path, **kwargs) -> list:
    """Load the demo generator's `tickets.csv` and `social.jsonl` from `demo_dir`.

    `kwargs` go to `pulse.ingest.ingest_paths`; the demo brand's handles stay visible in
    its quotes, besides any the caller names.
    """
    from pulse.ingest import ingest_paths

    kwargs["brand_handles"] = (*(kwargs.get("brand_handles") or ()), *BRAND_HANDLES)
    demo_dir = Path(demo_dir)
    reports: list = []
    for name, source in zip(("tickets.csv", "social.jsonl"), DEMO_SOURCES, strict=True):
        path = demo_dir / name
        if not path.exists():
            raise PulseError(f"{path} is missing; run `pulse demo` to generate the demo data")
        reports.extend(ingest_paths(con, [path], source=source, **kwargs))
    return reports


def load_demo(con: duckdb.DuckDBPyConnection, settings: Settings) -> list:
    """Write the demo files the settings ask for (when missing) and load them."""
    anchor = IsoWeek.parse(settings.demo_anchor) if settings.demo_anchor else None
    demo_dir = ensure_demo(settings.demo_dir, anchor=anchor, scale=settings.demo_scale)
    return ingest_demo(con, demo_dir, brand_handles=settings.brand_handles)


def demo_fallback(settings: Settings, specs=None, requested: bool = False):
    """What a run loads when it names no sources (`pulse.ingest.load_for_run`'s fallback).

    The demo data is a fixture for a first look: it loads only into a database that holds
    nothing else, or when `requested` (`--demo`). Once a user's data is loaded the demo
    never is, because its texts would join every report's counts and topics.

    Raises:
        PulseError: When the demo is requested while the run names sources, or pulse.toml
            declares some.
    """
    if requested and (specs or settings.sources):
        raise PulseError("--demo loads the demo data instead of sources; give one or the other")

    def fallback(con: duckdb.DuckDBPyConnection) -> list:
        if requested or not has_user_data(con):
            return load_demo(con, settings)
        return []

    return fallback


if __name__ == "__main__":
    main()
