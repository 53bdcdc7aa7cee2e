"""The general-domain documents (fictional towns, clubs and people; broad, well-known history): each builder returns a
list of sentences."""

from __future__ import annotations

import random

from .text import an, cap, join_list, words
from .vocabulary import (
    BAKING_EXTRAS,
    CLUBS,
    DAYS,
    DECADES,
    DISHES,
    FIRST,
    LAST,
    NEW_USES,
    REGIONS,
    RIVERS,
    TECH,
    TECH_EXTRA,
    TOWNS,
)


def fill_sentences(r: random.Random, sents: list[str], pool: list[str], target: int) -> list[str]:
    r.shuffle(pool)
    while words(" ".join(sents)) < target and pool:
        sents.append(pool.pop())
    return sents


def g_geography(r: random.Random, target: int) -> list[str]:
    town, river, region = r.choice(TOWNS), r.choice(RIVERS), r.choice(REGIONS)
    kind = r.choice(["market town", "fishing port", "river city", "hill village", "former mining town"])
    sents = [
        f"{town} is {an(kind)} {kind} in {region}, on the {r.choice(['north', 'south', 'east', 'west'])} "
        f"bank of the River {river}.",
        f"It had a population of about {r.randint(2, 240) * 1000 + r.randint(0, 999):,} at the last census.",
    ]
    pool = [
        f"The town lies at an elevation of {r.randint(4, 1450)} metres and is known for its "
        f"{r.choice(['mild winters', 'windy springs', 'long, dry summers', 'frequent sea fogs'])}.",
        f"Its economy was once based on {r.choice(['wool', 'salt', 'slate', 'herring', 'timber'])}, but today "
        f"{r.choice(['tourism', 'light engineering', 'software firms', 'vineyards', 'a large hospital'])} employs "
        f"more people.",
        f"A stone bridge of {r.randint(5, 13)} arches, built in the "
        f"{r.choice(['fourteenth', 'sixteenth', 'eighteenth'])} century, still carries traffic across the river.",
        f"The railway arrived in {r.randint(1842, 1910)}, and the journey to {r.choice(TOWNS)} now takes about "
        f"{r.randint(20, 140)} minutes.",
        f"Average temperatures range from {r.randint(-6, 6)} °C in January to {r.randint(18, 31)} °C in July.",
        f"Each {r.choice(['spring', 'summer', 'autumn'])} the town holds a "
        f"{r.choice(['cheese fair', 'regatta', 'music festival', 'horse market'])} that draws visitors from across "
        f"the region.",
        f"The surrounding countryside is a patchwork of "
        f"{r.choice(['orchards', 'sheep pasture', 'rice paddies', 'pine forest'])} and small lakes.",
        "The old quarter, with its narrow lanes and a covered market, is a protected conservation area.",
        f"The river floods every few winters, and a new embankment was completed in {r.randint(1995, 2022)}.",
        f"About {r.randint(5, 30)}% of residents commute to larger towns for work.",
        f"The town's name is thought to come from an old word for "
        f"{r.choice(['ford', 'salt spring', 'hill fort', 'meadow', 'harbour'])}.",
        f"Its {r.choice(['grammar school', 'technical college', 'observatory', 'botanical garden'])} was founded in "
        f"{r.randint(1780, 1960)} and is still open today.",
        "Local dishes make use of river fish, hill lamb and the soft cheese of the valley farms.",
        f"A cycle path follows the old towpath for {r.randint(8, 40)} km along the river.",
    ]
    return fill_sentences(r, sents, pool, target)


def g_cooking(r: random.Random, target: int) -> list[str]:
    dish, ingredients, method = r.choice(DISHES)
    temp = r.choice([160, 180, 190, 200, 220])
    savoury = method != "bake"
    in_a_pan = method in ("simmer", "stir", "boil")
    sents = [
        f"{cap(dish)} {'are' if dish.endswith('s') else 'is'} a simple "
        f"{r.choice(['weeknight', 'family', 'budget', 'seasonal'])} {'dish' if savoury else 'bake'} made from "
        f"{join_list(r.sample(ingredients, min(len(ingredients), r.randint(3, 5))))}."
    ]
    steps = {
        "bake": [
            f"Bake at {temp} °C (fan {temp - 20} °C) for {r.randint(25, 60)} minutes, until golden.",
            "Leave it to cool in the tin for ten minutes before turning it out.",
        ],
        "roast": [
            f"Roast at {temp} °C for {r.randint(30, 50)} minutes, turning the vegetables halfway through.",
            "Scatter the cheese over the tray just before serving.",
        ],
        "simmer": [
            f"Simmer gently for {r.randint(20, 45)} minutes, stirring now and then so nothing sticks.",
            "Season with salt and a squeeze of lemon at the end.",
        ],
        "stir": [
            "Add the hot stock a ladle at a time, stirring until each addition is absorbed.",
            "Finish with butter and grated cheese, then rest for two minutes.",
        ],
        "griddle": [
            "Cook each flatbread in a dry, very hot pan for about a minute on each side.",
            "Brush with garlic butter while still warm.",
        ],
        "boil": [
            f"Boil the vegetables for {r.randint(15, 25)} minutes, then drain well and mash with warm milk.",
            "A pinch of nutmeg brings out the sweetness of the purée.",
        ],
    }[method]
    pool = [
        f"It serves {r.randint(2, 8)} people and takes about {r.randint(20, 90)} minutes from start to finish.",
        "Leftovers keep for two days in an airtight container.",
        "Weigh the ingredients rather than using cups for the most reliable results.",
        f"The recipe became popular in {r.choice(TOWNS)} cafés in the {r.choice(DECADES)}.",
        "The recipe doubles easily, and a second batch freezes well for up to three months.",
        f"Children can help by {r.choice(['weighing the ingredients', 'stirring', 'setting the table'])}.",
    ]
    if savoury:
        pool += [
            f"Some cooks add {r.choice(['a handful of spinach', 'chilli flakes', 'fresh coriander', 'toasted seeds'])} "
            f"for extra flavour.",
            f"Serve with {r.choice(['crusty bread', 'a green salad', 'steamed rice', 'a spoonful of yoghurt'])}.",
            "Taste as you go and adjust the seasoning before serving.",
        ]
        if in_a_pan:
            pool += [
                f"Sauté the {r.choice(['onion', 'garlic', 'shallots'])} slowly first; rushing this step makes the "
                f"dish bitter.",
                "Buy vegetables in season, when they are cheaper and have more flavour.",
                "A heavy-based pan spreads the heat evenly and stops the bottom from catching.",
            ]
    else:
        pool += [
            "Bring the butter and eggs to room temperature before you start.",
            f"Some bakers add {r.choice(BAKING_EXTRAS)}.",
            "Check that it is done by pushing a skewer into the middle: it should come out clean.",
            "Serve warm with yoghurt or a spoonful of crème fraîche.",
        ]
    return fill_sentences(r, sents + steps, pool, target)


def g_sports(r: random.Random, target: int) -> list[str]:
    home, away = r.sample(CLUBS, 2)
    hg, ag = r.randint(0, 5), r.randint(0, 4)
    scorer = f"{r.choice(FIRST)} {r.choice(LAST)}"
    day = r.choice(DAYS)
    res = "beat" if hg > ag else ("lost to" if hg < ag else "drew with")
    sents = [f"{home} {res} {away} {hg}–{ag} on {day} in front of a crowd of {r.randint(900, 38000):,}."]
    pool = [
        "The visitors had a goal disallowed for offside shortly before half-time.",
        "Rain made the pitch heavy, and both sides struggled to keep possession.",
        f"The result leaves {home} {r.choice(['second', 'fourth', 'seventh', 'bottom'])} in the table, "
        f"{r.randint(1, 12)} points behind the leaders.",
        f'Manager {r.choice(FIRST)} {r.choice(LAST)} said afterwards that the team had "shown real character".',
        f"{away} travel to {r.choice(TOWNS)} next {r.choice(DAYS)}.",
        f"A late penalty appeal was waved away by the referee with {r.randint(2, 9)} minutes left.",
        f"Both clubs had injury worries before kick-off, with {r.randint(2, 5)} first-team players unavailable.",
        f"The two sides last met in {r.choice(['March', 'October', 'the cup semi-final', 'pre-season'])}, when "
        f"{r.choice([home, away])} won {r.randint(1, 4)}–{r.randint(0, 1)}.",
        f"Ticket prices had been cut by {r.randint(10, 30)}% to attract families, and the stadium was "
        f"{r.choice(['almost full', 'two-thirds full', 'sold out'])}.",
        f"Young goalkeeper {r.choice(FIRST)} {r.choice(LAST)} made several fine saves on his league debut.",
        f"Possession was split {(p := r.randint(38, 64))}–{100 - p}, with {r.randint(6, 22)} shots in total.",
    ]
    if hg or ag:
        pool.append(
            f"{scorer} opened the scoring after {r.randint(3, 44)} minutes with a low shot from the edge of the area."
        )
    return fill_sentences(r, sents, pool, target)


def g_technology(r: random.Random, target: int) -> list[str]:
    topic, facts = r.choice(TECH)
    sents = [
        f"The history of {topic} shows how one invention can reshape everyday life."
        if r.random() < 0.5
        else f"{cap(topic)} is often listed among the most influential inventions."
    ]
    facts = list(facts)
    r.shuffle(facts)
    extra = list(TECH_EXTRA)
    r.shuffle(extra)
    while words(" ".join(sents)) < target and (facts or extra):
        src = facts if facts and (r.random() < 0.7 or not extra) else extra
        sents.append(src.pop())
    return sents


def g_weather(r: random.Random, target: int) -> list[str]:
    region = r.choice(REGIONS)
    day = r.choice(DAYS)
    what, t_lo, t_hi = r.choice(
        [
            ("heavy rain", 6, 20),
            ("strong winds", 4, 18),
            ("a spell of sunshine", 14, 33),
            ("snow showers", -6, 2),
            ("thick fog", 2, 12),
            ("thunderstorms", 18, 32),
        ]
    )
    hi = r.randint(t_lo, t_hi)
    lo = hi - r.randint(4, 12)
    sents = [f"Forecasters expect {what} across {region} on {day}."]
    pool = [
        f"Daytime temperatures will reach {hi} °C, falling to around {lo} °C overnight.",
        f"Gusts of up to {r.randint(40, 110)} km/h are possible on exposed coasts and hills.",
        f"Up to {r.randint(10, 80)} mm of rain could fall in {r.randint(6, 24)} hours, and some roads may flood."
        if what != "snow showers"
        else f"Up to {r.randint(2, 25)} cm of snow could settle on higher ground, and some roads may close.",
        f"Drivers are advised to allow extra time for journeys, especially near {r.choice(TOWNS)}.",
        f"Conditions should settle by {r.choice(DAYS)}, with lighter winds and sunny intervals.",
        f"Pollen counts will be {r.choice(['low', 'moderate', 'high'])}, and the UV index {r.randint(1, 8)}."
        if hi >= 12
        else "Ice is likely on untreated roads and pavements early in the morning.",
        f"The month has so far been {r.uniform(0.5, 2.8):.1f} °C {r.choice(['warmer', 'cooler'])} than the "
        f"long-term average.",
        "Farmers have welcomed the change after several weeks of unsettled weather.",
        f"Ferry services to {r.choice(TOWNS)} may be delayed or cancelled.",
        f"Sea temperatures are around {r.randint(8, 24)} °C, and swimmers are urged to take care.",
        f"Air pressure will fall to about {r.randint(975, 1005)} hPa as the low passes to the north.",
        "Weather stations recorded the wettest night of the year so far in several hill villages.",
        f"Sunrise is at {r.randint(5, 8)}:{r.randint(10, 59)} and sunset at {r.randint(16, 21)}:{r.randint(10, 59)}.",
        "Outdoor events planned for the weekend are expected to go ahead, with some changes to timings.",
    ]
    return fill_sentences(r, sents, pool, target)


def g_local_news(r: random.Random, target: int) -> list[str]:
    town = r.choice(TOWNS)
    thing = r.choice(
        ["public library", "swimming pool", "footbridge", "community garden", "bus station", "concert hall"]
    )
    sents = [
        f"A new {thing} opened in {town} on {r.choice(DAYS)}, {r.randint(2, 6)} years after plans were first announced."
    ]
    pool = [
        f"The project cost about {r.randint(2, 48)} million and was paid for partly by local donations.",
        f'Mayor {r.choice(FIRST)} {r.choice(LAST)} said the building would "bring people together".',
        "The design uses timber from nearby forests and solar panels on the roof.",
        f"Opening hours will run from {r.randint(7, 10)} in the morning until {r.randint(6, 10)} in the evening, "
        f"seven days a week.",
        "Local schools have already booked sessions for the coming term.",
        "Some residents had objected to the loss of parking spaces during construction.",
        "A café run by volunteers sells coffee, soup and cakes baked in the town.",
        f"More than {r.randint(2, 9) * 100} people attended the opening ceremony despite the cold.",
        f"The architect, {r.choice(FIRST)} {r.choice(LAST)}, grew up a few streets away.",
        "Disabled access was a priority, with step-free entrances and wide doors throughout.",
        f"The old {thing} will be turned into {r.choice(NEW_USES)}.",
        f"A bus service now links the site with the railway station every {r.choice([10, 15, 20, 30])} minutes.",
        "Organisers plan a programme of free events for the first month.",
    ]
    return fill_sentences(r, sents, pool, target)


GENERAL_TYPES = [g_geography, g_cooking, g_sports, g_technology, g_weather, g_local_news]


def make_general(r: random.Random, count: int) -> list[str]:
    docs: list[str] = []
    seen: set[str] = set()
    while len(docs) < count:
        # Cycle through the topics so each appears equally often; lengths vary within 40–250 words.
        builder = GENERAL_TYPES[len(docs) % len(GENERAL_TYPES)]
        target = r.choice([r.randint(40, 80), r.randint(80, 160), r.randint(140, 235)])
        sents = builder(r, target)
        text = " ".join(sents)
        if words(text) > 110 and len(sents) > 4 and r.random() < 0.4:  # some documents have two paragraphs
            cut = len(sents) // 2
            text = " ".join(sents[:cut]) + "\n" + " ".join(sents[cut:])
        if text in seen or not 40 <= words(text) <= 250:
            continue
        seen.add(text)
        docs.append(text)
    return docs
